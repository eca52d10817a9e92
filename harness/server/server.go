// Package server is the runner contract over HTTP: GET / says whether the
// model and workers are ready, POST /chat answers a question with code.
package server

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"polarsbench/datasets/core"
	"polarsbench/harness/answer"
	"polarsbench/harness/score"
)

// maxBody bounds a request body; a larger one is refused as malformed.
const maxBody = 64 << 20

// Server answers the runner. It is ready once SetSolver has been called.
type Server struct {
	solver atomic.Pointer[answer.Solver]
	log    *RecordLog
	info   *log.Logger
}

// New returns a server that is not ready yet; records go to recs (may be nil),
// one-line summaries to info (may be nil).
func New(recs *RecordLog, info *log.Logger) *Server {
	if info == nil {
		info = log.New(io.Discard, "", 0)
	}
	return &Server{log: recs, info: info}
}

// SetSolver makes the server ready.
func (s *Server) SetSolver(sol *answer.Solver) { s.solver.Store(sol) }

// Handler routes the two endpoints.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/", s.health)
	mux.HandleFunc("/chat", s.chat)
	return mux
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found: " + r.URL.Path})
		return
	}
	if s.solver.Load() == nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "loading"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// chatRequest is the runner's body: {"message", "tables": {var: {file_name, format}}}.
type chatRequest struct {
	Message *string `json:"message"`
	Tables  map[string]struct {
		FileName string `json:"file_name"`
		Format   string `json:"format"`
	} `json:"tables"`
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "POST a JSON body {\"message\", \"tables\"}"})
		return
	}
	sol := s.solver.Load()
	if sol == nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "model and workers are still loading; poll GET / first"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "reading body: " + err.Error()})
		return
	}
	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "malformed JSON: " + err.Error()})
		return
	}
	question := ""
	if req.Message != nil {
		question = *req.Message
	}
	tables := make([]core.TableRef, 0, len(req.Tables))
	for name, t := range req.Tables {
		format := t.Format
		if format == "" {
			format = "parquet"
		}
		tables = append(tables, core.TableRef{Name: name, Path: t.FileName, Format: format})
	}
	sort.Slice(tables, func(a, b int) bool { return tables[a].Name < tables[b].Name })

	var exclude []string
	for _, id := range strings.Split(r.Header.Get(score.ExcludeHeader), ",") {
		if id = strings.TrimSpace(id); id != "" {
			exclude = append(exclude, id)
		}
	}
	rec := s.solve(r, sol, question, tables, exclude)
	if req.Message == nil {
		rec.Error = joinErr("request has no \"message\"", rec.Error)
	}
	if s.log != nil {
		if err := s.log.Append(rec); err != nil {
			s.info.Printf("log: %v", err)
		}
	}
	s.info.Printf("chat %s chosen=%d votes=%d candidates=%d total=%.0fms prefill=%.0fms decode=%.0fms exec=%.0fms err=%q",
		rec.RequestID, rec.Chosen, len(rec.Votes), len(rec.Candidates), rec.TimingsMS.Total, rec.TimingsMS.Prefill, rec.TimingsMS.Decode, rec.TimingsMS.Execute, rec.Error)
	w.Header().Set("X-Request-Id", rec.RequestID)
	writeJSON(w, http.StatusOK, map[string]string{"response": rec.Answer})
}

// solve runs the pipeline and turns a panic inside it into a logged failure
// with placeholder code: the runner aborts the whole run on anything but 200.
func (s *Server) solve(r *http.Request, sol *answer.Solver, question string, tables []core.TableRef, exclude []string) (rec answer.Record) {
	defer func() {
		if p := recover(); p != nil {
			rec = answer.Record{
				RequestID: fmt.Sprintf("panic-%d", time.Now().UnixNano()), Time: time.Now().UTC().Format(time.RFC3339Nano),
				Question: question, Tables: tables, Chosen: -1, Answer: answer.FallbackCode(tables),
				Error: fmt.Sprintf("internal error: %v", p),
			}
		}
	}()
	return sol.Solve(r.Context(), question, tables, exclude...)
}

func joinErr(a, b string) string {
	if b == "" {
		return a
	}
	return a + "; " + b
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
