package infer

import (
	"strings"
	"testing"
)

func TestRenderChatGolden(t *testing.T) {
	sys := []Message{{"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello"}, {"user", "Sum?"}}
	user := []Message{{"user", "Hi"}}
	cases := []struct {
		tmpl string
		msgs []Message
		gen  bool
		want string
	}{
		{"chatml", sys, true, "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello<|im_end|>\n<|im_start|>user\nSum?<|im_end|>\n<|im_start|>assistant\n"},
		{"chatml", user, false, "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"},
		{"smollm", user, true, "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"},
		{"llama3", sys, true, "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nSum?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"},
		{"gemma", sys, true, "<bos><start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\nHello<end_of_turn>\n<start_of_turn>user\nSum?<end_of_turn>\n<start_of_turn>model\n"},
		{"gemma", user, false, "<bos><start_of_turn>user\nHi<end_of_turn>\n"},
	}
	for _, c := range cases {
		got, err := RenderChat(c.tmpl, c.msgs, c.gen)
		if err != nil {
			t.Fatalf("%s: %v", c.tmpl, err)
		}
		if got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.tmpl, got, c.want)
		}
	}
}

func TestRenderChatErrors(t *testing.T) {
	if _, err := RenderChat("vicuna", []Message{{"user", "x"}}, true); err == nil || !strings.Contains(err.Error(), "unknown chat template") {
		t.Errorf("unknown template: err = %v", err)
	}
	if _, err := RenderChat("chatml", []Message{{"tool", "x"}}, true); err == nil {
		t.Error("unknown role accepted")
	}
}

func TestDetectTemplate(t *testing.T) {
	cases := []struct{ tmpl, arch, want string }{
		{"{{'<|im_start|>' + role}}", "qwen2", "chatml"},
		{"'<|im_start|>system\nYou are a helpful AI assistant named SmolLM'", "llama", "smollm"},
		{"<|start_header_id|>", "llama", "llama3"},
		{"<start_of_turn>", "gemma3", "gemma"},
		{"", "qwen3", "chatml"},
		{"", "gemma3", "gemma"},
		{"", "llama", ""},
		{"[INST]", "llama", ""},
	}
	for _, c := range cases {
		if got := DetectTemplate(c.tmpl, c.arch); got != c.want {
			t.Errorf("DetectTemplate(%q, %q) = %q, want %q", c.tmpl, c.arch, got, c.want)
		}
	}
}
