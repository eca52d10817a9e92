package core

// Kinds of failure of a candidate's code: the worker pool's Outcome.ErrorKind,
// and the same words for a failure under the runner's script (score.ErrorKindOf).
const (
	KindSyntax       = "syntax"
	KindRuntime      = "runtime"
	KindNoResult     = "no_result"
	KindNotDataFrame = "not_dataframe"
	KindLazyFrame    = "lazyframe"
	KindTimeout      = "timeout"
	KindMemory       = "memory"
	KindForbidden    = "forbidden"
	KindCrashed      = "crashed"
	KindOutput       = "output" // the reply could not be decoded
)
