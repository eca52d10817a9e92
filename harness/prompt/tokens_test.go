package prompt

import (
	"os"
	"sort"
	"testing"

	"polarsbench/harness/repo"
	"polarsbench/harness/schema"
	"polarsbench/infer"
	"polarsbench/infer/llamacpp"
)

// TestDevPromptTokens counts the real tokens of every dev prompt with the
// default model's tokenizer. It loads the 1.1 GB model, so it runs only with
// PROMPT_TOKENS=1:  PROMPT_TOKENS=1 make t PKG=./harness/prompt/ RUN=TestDevPromptTokens
func TestDevPromptTokens(t *testing.T) {
	if os.Getenv("PROMPT_TOKENS") == "" {
		t.Skip("set PROMPT_TOKENS=1 to count tokens with the default model")
	}
	eng, err := llamacpp.Load(repo.DefaultModel(), infer.Options{ContextSize: 256, Parallel: 1, Threads: 1})
	if err != nil {
		t.Skipf("default model: %v", err)
	}
	defer eng.Close()
	tasks := devTasks(t)
	b := BankFromTasks(tasks)
	cache := schema.NewCache()
	head, err := eng.Tokenize(System())
	if err != nil {
		t.Fatal(err)
	}
	var user, schemaOnly []int
	for _, task := range tasks {
		tables, msgs := devPrompt(t, cache, b, task)
		toks, err := eng.Tokenize(msgs[1].Content)
		if err != nil {
			t.Fatal(err)
		}
		user = append(user, len(toks))
		noEx, _ := eng.Tokenize(Build(task.Question, tables, PlanJoins(tables, schema.JoinKeys(tables)), nil)[1].Content)
		schemaOnly = append(schemaOnly, len(noEx))
	}
	sort.Ints(user)
	sort.Ints(schemaOnly)
	t.Logf("static head %d tokens; per question (user message): median %d, max %d, min %d; without examples: median %d, max %d",
		len(head), user[len(user)/2], user[len(user)-1], user[0], schemaOnly[len(schemaOnly)/2], schemaOnly[len(schemaOnly)-1])
}
