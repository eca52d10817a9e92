package commands

import (
	"path/filepath"
	"testing"

	"polarsbench/harness/score"
)

// --resume takes the stored configuration; only flags given explicitly override it.
func TestScoreResumeKeepsStoredConfig(t *testing.T) {
	dir := t.TempDir()
	stored := score.Config{Bench: "/b", Data: "/d", Model: "/m.gguf", K: 3, Limit: 10, IDs: []string{"AGG01"}, GPUVRAMMB: 900, GPUSecondsPerQuestion: 0.5}
	if err := score.WriteResults(dir, score.Results{ID: "x", Config: stored}); err != nil {
		t.Fatal(err)
	}
	o := &ScoreOptions{}
	c := newCmdScoreWith(o)
	if err := c.ParseFlags([]string{"--resume", dir, "--limit", "20", "--gpu-vram-mb", "2000"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := scoreConfig(c, o)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Bench != "/b" || cfg.Model != "/m.gguf" || cfg.K != 3 || len(cfg.IDs) != 1 || cfg.GPUSecondsPerQuestion != 0.5 {
		t.Errorf("stored config not kept: %+v", cfg)
	}
	if cfg.Limit != 20 || cfg.GPUVRAMMB != 2000 {
		t.Errorf("explicit flags not applied: %+v", cfg)
	}
	if _, err := scoreConfig(c, &ScoreOptions{Resume: filepath.Join(dir, "missing")}); err == nil {
		t.Errorf("resume of a folder without results.json gave no error")
	}
}
