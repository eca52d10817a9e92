package score

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"polarsbench/datasets/core"
)

// RequestTimeout is the runner's limit on one /chat request: past it the
// runner raises and the whole run is lost.
const RequestTimeout = 200 * time.Second

// Client speaks to a server exactly as the runner does.
type Client struct {
	Endpoint string // http://host:port, no trailing slash
	HTTP     *http.Client
}

// NewClient returns a client for endpoint with the runner's request timeout.
func NewClient(endpoint string) *Client {
	return &Client{Endpoint: strings.TrimRight(endpoint, "/"), HTTP: &http.Client{Timeout: RequestTimeout}}
}

// WaitReady polls GET / until it answers 2xx, as the runner does before timing
// anything. alive, when not nil, reports an early server exit as the error.
func (c *Client) WaitReady(ctx context.Context, timeout time.Duration, alive func() error) error {
	deadline := time.Now().Add(timeout)
	var last string
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.Endpoint+"/", nil)
		short := &http.Client{Timeout: 5 * time.Second}
		resp, err := short.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		if alive != nil {
			if err := alive(); err != nil {
				return err
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server at %s not ready after %s (last answer: %s)", c.Endpoint, timeout, last)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

type chatTable struct {
	FileName string `json:"file_name"`
	Format   string `json:"format"`
}

type chatRequest struct {
	Message string               `json:"message"`
	Tables  map[string]chatTable `json:"tables"`
}

// ChatBody builds the runner's /chat body: the question and, per table
// variable, its absolute file path and format.
func ChatBody(question string, tables []core.TableRef) ([]byte, error) {
	req := chatRequest{Message: question, Tables: map[string]chatTable{}}
	for _, t := range tables {
		abs, err := filepath.Abs(t.Path)
		if err != nil {
			return nil, err
		}
		format := t.Format
		if format == "" {
			format = "parquet"
		}
		req.Tables[t.Name] = chatTable{FileName: abs, Format: format}
	}
	return json.Marshal(req)
}

// Answer is one /chat exchange.
type Answer struct {
	Code      string
	RequestID string
	Seconds   float64 // wall clock of the whole request, as the runner times it
}

// ErrHTTP marks an exchange the runner would treat as fatal (non-2xx, timeout,
// unreadable body): the whole run would abort there.
var ErrHTTP = errors.New("http")

// ExcludeHeader names the bank examples the server must not show for this
// question (comma-separated task ids): leave-one-out by identity in score
// runs. The runner never sends it.
const ExcludeHeader = "X-Exclude-Examples"

// Chat sends one question and times it. exclude names the bank examples to
// leave out (the question's own task id when it comes from a bench).
func (c *Client) Chat(ctx context.Context, question string, tables []core.TableRef, exclude ...string) (Answer, error) {
	body, err := ChatBody(question, tables)
	if err != nil {
		return Answer{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Endpoint+"/chat", bytes.NewReader(body))
	if err != nil {
		return Answer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if len(exclude) > 0 {
		req.Header.Set(ExcludeHeader, strings.Join(exclude, ","))
	}
	start := time.Now()
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return Answer{Seconds: time.Since(start).Seconds()}, fmt.Errorf("%w: %v", ErrHTTP, err)
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	a := Answer{Seconds: time.Since(start).Seconds(), RequestID: resp.Header.Get("X-Request-Id")}
	if err != nil {
		return a, fmt.Errorf("%w: reading body: %v", ErrHTTP, err)
	}
	if resp.StatusCode/100 != 2 {
		return a, fmt.Errorf("%w: status %s: %s", ErrHTTP, resp.Status, firstLine(string(raw)))
	}
	var out struct {
		Response *string `json:"response"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || out.Response == nil {
		return a, fmt.Errorf("%w: body is not {\"response\": ...}: %s", ErrHTTP, firstLine(string(raw)))
	}
	a.Code = *out.Response
	return a, nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
