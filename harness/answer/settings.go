package answer

import (
	"encoding/json"
	"fmt"
	"os"
)

// Settings are the knobs of one question's path. Defaults are the best measured
// on the 75 dev questions (see README "Measured"); a config file or flags override them.
type Settings struct {
	K           int     `json:"k"`           // candidates per question; candidate 0 is greedy
	Temperature float32 `json:"temperature"` // for candidates 1..K-1
	TopP        float32 `json:"top_p"`       // nucleus for candidates 1..K-1
	MaxTokens   int     `json:"max_tokens"`  // per candidate
	Seed        uint32  `json:"seed"`        // candidate i samples with Seed+i
	Examples    int     `json:"examples"`    // retrieved solved examples in the prompt
	Repair      bool    `json:"repair"`      // repair rounds when every candidate failed
	// KSingle, when not 0, caps K for questions over one table. With
	// GreedyFirst their sampled candidates are asked for only when the greedy
	// one failed, and there a 4th candidate has not changed an answer, while
	// over several tables the 4th candidate's schema fix is sometimes the one
	// answer that runs (see README "Measured").
	KSingle int `json:"k_single"`
	// GreedyFirst asks for the greedy candidate alone first and answers with
	// it when it runs; the other K-1 are generated only when it fails.
	// GreedySingle does so for questions over one table, GreedyAlways for all;
	// empty is off. On the dev set the vote overruled a greedy answer that ran
	// once in 49, and the greedy candidate failed on 10 of 46 one-table
	// questions but 16 of 29 over several tables, where asking for the K
	// together costs less than one and then K-1 (see README "Measured").
	GreedyFirst string `json:"greedy_first"`
	// RepairRounds is how many repair rounds (each executed before the next); 0 means 1.
	RepairRounds int `json:"repair_rounds"`
	// JoinPlan shows the join plan and the question's columns in the prompt,
	// draws half the candidates from a prompt that starts with the join chain,
	// and gives repairs the schema hints (prompt.RepairHint). Off by default:
	// on 60 dev questions it measured 21 right against 24 without (p 0.38).
	JoinPlan bool `json:"join_plan"`
	// SchemaFix rewrites failed candidates as their error and the schemas
	// dictate (SchemaFixes: a made-up table name, a column of a table not
	// joined) and executes the rewrites, which join the vote, whenever a
	// candidate failed (not only when none ran), before a repair round.
	SchemaFix bool `json:"schema_fix"`
	// Stepwise adds a step-wise candidate (see stepwise.go) to questions over
	// two tables or more: the model writes a statement at a time and sees each
	// one's frame. StepwiseFallback adds it only when no candidate ran, after
	// the schema fixes and before the repair round; StepwiseOpen when the
	// single-shot candidates leave the vote open (one more candidate could
	// change the winner); StepwiseAlways to every such question; empty is off.
	Stepwise string `json:"stepwise"`
	// StepwiseSteps caps the statements a step-wise candidate executes; 0 means 8.
	StepwiseSteps int     `json:"stepwise_steps"`
	BudgetS       float64 `json:"budget_s"`       // wall-clock budget per question; the runner aborts at 200 s
	ExecTimeout   float64 `json:"exec_timeout_s"` // per candidate execution
	// Vote is how candidates are grouped for the vote: VoteStrict (the runner's
	// fingerprint) or VoteValues (the names-insensitive one; see ElectBy); empty is strict.
	Vote string `json:"vote"`
	// Style renames the columns the chosen answer made to the names the bank's
	// gold code would give them (see Style), when the renamed code runs to the
	// same values.
	Style bool `json:"style"`
}

// The modes of Settings.GreedyFirst.
const (
	GreedySingle = "single"
	GreedyAlways = "always"
)

// The step-wise source's modes (Settings.Stepwise).
const (
	StepwiseFallback = "fallback"
	StepwiseOpen     = "open"
	StepwiseAlways   = "always"
)

// DefaultSettings is what `harness serve` uses without a config.
func DefaultSettings() Settings {
	return Settings{
		// 4 over several tables: K=3 lost 2 of 30 held-out multi-table tasks
		// and 1 dev join whose only runnable answer was a schema fix of the 4th
		// candidate. 3 over one table, where the sampled candidates come only
		// after the greedy one failed: there the 4th changed no dev answer and
		// cost 12 candidates' decoding (README "Measured").
		K:           4,
		KSingle:     3,
		Temperature: 0.7,
		TopP:        0.95,
		MaxTokens:   200,
		Seed:        42,
		Examples:    3,
		// Off: in every logged dev and held-out run (about 130 rounds) the
		// repair round never turned a question right, at 10% of a run's time.
		Repair:       false,
		RepairRounds: 1,
		SchemaFix:    true,
		GreedyFirst:  GreedySingle,
		BudgetS:      90,
		ExecTimeout:  10,
		Vote:         VoteStrict,
		Style:        true,
	}
}

// candidates is K for a question over n tables (see KSingle).
func (s Settings) candidates(n int) int {
	if n == 1 && s.KSingle > 0 {
		return min(s.KSingle, s.K)
	}
	return s.K
}

// LoadSettings reads a JSON config over the defaults; fields it omits keep their default.
func LoadSettings(path string) (Settings, error) {
	s := DefaultSettings()
	if path == "" {
		return s, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return s, fmt.Errorf("config: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("config %s: %w", path, err)
	}
	return s, s.Validate()
}

// Validate rejects settings that cannot work, with the reason.
func (s Settings) Validate() error {
	switch {
	case s.K < 1 || s.K > 16:
		return fmt.Errorf("settings: k must be 1..16, got %d", s.K)
	case s.KSingle < 0 || s.KSingle > 16:
		return fmt.Errorf("settings: k_single must be 0..16, got %d", s.KSingle)
	case s.MaxTokens < 16:
		return fmt.Errorf("settings: max_tokens must be >= 16, got %d", s.MaxTokens)
	case s.Temperature < 0:
		return fmt.Errorf("settings: temperature must be >= 0")
	case s.BudgetS <= 0 || s.BudgetS > 190:
		return fmt.Errorf("settings: budget_s must be in (0, 190]: the runner aborts the whole run at 200 s")
	case s.RepairRounds < 0 || s.RepairRounds > 3:
		return fmt.Errorf("settings: repair_rounds must be 0..3, got %d", s.RepairRounds)
	case s.Stepwise != "" && s.Stepwise != StepwiseFallback && s.Stepwise != StepwiseOpen && s.Stepwise != StepwiseAlways:
		return fmt.Errorf("settings: stepwise must be %q, %q, %q or empty, got %q", StepwiseFallback, StepwiseOpen, StepwiseAlways, s.Stepwise)
	case s.GreedyFirst != "" && s.GreedyFirst != GreedySingle && s.GreedyFirst != GreedyAlways:
		return fmt.Errorf("settings: greedy_first must be %q, %q or empty, got %q", GreedySingle, GreedyAlways, s.GreedyFirst)
	case s.StepwiseSteps < 0 || s.StepwiseSteps > 20:
		return fmt.Errorf("settings: stepwise_steps must be 0..20, got %d", s.StepwiseSteps)
	case s.Examples < 0:
		return fmt.Errorf("settings: examples must be >= 0")
	case s.ExecTimeout <= 0:
		return fmt.Errorf("settings: exec_timeout_s must be > 0")
	case s.Vote != "" && s.Vote != VoteStrict && s.Vote != VoteValues:
		return fmt.Errorf("settings: vote must be %q or %q, got %q", VoteStrict, VoteValues, s.Vote)
	}
	return nil
}
