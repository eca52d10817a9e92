package infer

import (
	"fmt"
	"strings"
)

// Message is one chat turn.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Default system prompts the models' own (Hugging Face) templates insert when
// the conversation has none, so rendered text matches what the model was trained on.
const (
	qwenDefaultSystem   = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."
	smollmDefaultSystem = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
)

// Templates lists the names RenderChat accepts.
var Templates = []string{"chatml", "smollm", "llama3", "gemma"}

// DetectTemplate names the RenderChat template for a GGUF's tokenizer.chat_template
// text, falling back on the architecture; "" when neither is recognised.
func DetectTemplate(chatTemplate, arch string) string {
	switch {
	case strings.Contains(chatTemplate, "<|im_start|>") && strings.Contains(chatTemplate, "SmolLM"):
		return "smollm"
	case strings.Contains(chatTemplate, "<|im_start|>"):
		return "chatml"
	case strings.Contains(chatTemplate, "<|start_header_id|>"):
		return "llama3"
	case strings.Contains(chatTemplate, "<start_of_turn>"):
		return "gemma"
	case chatTemplate != "":
		return ""
	}
	switch {
	case strings.HasPrefix(arch, "qwen"):
		return "chatml"
	case strings.HasPrefix(arch, "gemma"):
		return "gemma"
	}
	return ""
}

// RenderChat turns messages into prompt text the way the model's Hugging Face
// chat template does (bos text included where that template writes it). With
// addAssistant it ends with the opening of an assistant turn.
func RenderChat(template string, msgs []Message, addAssistant bool) (string, error) {
	for i, m := range msgs {
		switch m.Role {
		case "system", "user", "assistant":
		default:
			return "", fmt.Errorf("message %d: unknown role %q (want system, user or assistant)", i, m.Role)
		}
	}
	var b strings.Builder
	switch template {
	case "chatml", "smollm":
		def := qwenDefaultSystem
		if template == "smollm" {
			def = smollmDefaultSystem
		}
		if len(msgs) == 0 || msgs[0].Role != "system" {
			b.WriteString("<|im_start|>system\n" + def + "<|im_end|>\n")
		}
		for _, m := range msgs {
			b.WriteString("<|im_start|>" + m.Role + "\n" + m.Content + "<|im_end|>\n")
		}
		if addAssistant {
			b.WriteString("<|im_start|>assistant\n")
		}
	case "llama3":
		b.WriteString("<|begin_of_text|>")
		for _, m := range msgs {
			b.WriteString("<|start_header_id|>" + m.Role + "<|end_header_id|>\n\n" + strings.TrimSpace(m.Content) + "<|eot_id|>")
		}
		if addAssistant {
			b.WriteString("<|start_header_id|>assistant<|end_header_id|>\n\n")
		}
	case "gemma":
		// Gemma has no system role: its template prepends the system text to the first user turn.
		b.WriteString("<bos>")
		system := ""
		for i, m := range msgs {
			if m.Role == "system" {
				if i != 0 {
					return "", fmt.Errorf("gemma: a system message is only allowed first")
				}
				system = m.Content + "\n\n"
				continue
			}
			role, content := m.Role, m.Content
			if role == "assistant" {
				role = "model"
			}
			if system != "" {
				content, system = system+content, ""
			}
			b.WriteString("<start_of_turn>" + role + "\n" + strings.TrimSpace(content) + "<end_of_turn>\n")
		}
		if addAssistant {
			b.WriteString("<start_of_turn>model\n")
		}
	default:
		return "", fmt.Errorf("unknown chat template %q (want one of %s)", template, strings.Join(Templates, ", "))
	}
	return b.String(), nil
}
