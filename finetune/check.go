package finetune

import (
	"context"
	"fmt"
	"strings"

	"polarsbench/datasets/core"
	"polarsbench/harness/repo"
	"polarsbench/infer"
)

// The final check of a fine-tune run: load the result and answer one question
// greedily, so a GGUF that llama.cpp cannot load or that says nothing fails
// the run.

// CheckPrompt renders a task as the check's question: the instruction, the
// tables it names and the question.
func CheckPrompt(t core.Task) string {
	names := make([]string, len(t.Tables))
	for i, tb := range t.Tables {
		names[i] = tb.Name
	}
	return fmt.Sprintf("Write Python Polars code that assigns the answer DataFrame to `result`. Tables (polars DataFrames): %s.\nQuestion: %s",
		strings.Join(names, ", "), t.Question)
}

// DefaultCheckQuestion is the check's question when none is given: the first
// dev question.
func DefaultCheckQuestion() (string, error) {
	tasks, err := core.LoadBench(repo.DevBench(), repo.DataDir())
	if err != nil {
		return "", err
	}
	return CheckPrompt(tasks[0]), nil
}

// Model is a loaded model as the check uses it.
type Model interface {
	Generate(ctx context.Context, r infer.Request) (infer.Result, error)
	Close() error
}

// ModelLoader loads a GGUF file (llamacpp.Load in the binary).
type ModelLoader func(path string, o infer.Options) (Model, error)

// GreedyCheck is the Checker over load: one sequence, 1024 context cells, a
// greedy answer of at most 64 tokens to the question as a user message.
func GreedyCheck(load ModelLoader) Checker {
	return func(ctx context.Context, model, question string) (string, error) {
		e, err := load(model, infer.Options{Parallel: 1, ContextSize: 1024})
		if err != nil {
			return "", err
		}
		defer e.Close()
		res, err := e.Generate(ctx, infer.Request{Messages: []infer.Message{{Role: "user", Content: question}}, K: 1, MaxTokens: 64})
		if err != nil {
			return "", err
		}
		if len(res.Candidates) == 0 {
			return "", fmt.Errorf("no candidate returned")
		}
		return res.Candidates[0].Text, nil
	}
}
