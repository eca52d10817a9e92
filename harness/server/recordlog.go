package server

import "polarsbench/harness/runlog"

// RecordLog is the server's log of answered questions (one runlog.Record per
// line, fsynced: a crash loses nothing already answered, and concurrent
// requests never interleave lines).
type RecordLog = runlog.Log

// OpenRecordLog opens (creating folders) the JSON-lines log for appending.
func OpenRecordLog(path string) (*RecordLog, error) { return runlog.Open(path) }
