package answer

import (
	"polarsbench/harness/prompt"
	"polarsbench/harness/runlog"
)

// The log record of one question and its parts are defined in harness/runlog,
// with this package's settings and the prompt's join plan.
type (
	Record    = runlog.Record[Settings, prompt.JoinPlan]
	Timings   = runlog.Timings
	Variant   = runlog.Variant
	Candidate = runlog.Candidate
	Step      = runlog.Step
	Vote      = runlog.Vote
)
