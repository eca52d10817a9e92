package score

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"polarsbench/datasets/core"
	"polarsbench/harness/judge"
	"polarsbench/harness/repo"
)

// JudgeFunc runs code the runner's way (fresh interpreter, tables loaded as
// the runner loads them). An error means the judging itself broke (no Python,
// ctx done), not the code: the run stops rather than record false failures.
type JudgeFunc func(ctx context.Context, tables []core.TableRef, code string) (judge.Verdict, error)

// FreshJudge judges with judge.Run in a new interpreter per call, as the runner does.
func FreshJudge(python string, timeout time.Duration) JudgeFunc {
	return func(ctx context.Context, tables []core.TableRef, code string) (judge.Verdict, error) {
		return judge.Run(ctx, python, tables, code, timeout)
	}
}

// ContainedFunc reports whether the result of big, kept to some of its
// columns, equals the result of small up to column names and order (the
// confirmation of ClassColumns); an error means the judging itself broke.
type ContainedFunc func(ctx context.Context, tables []core.TableRef, big, small string) (bool, error)

// FreshContained runs judge.Contained in a new interpreter per call.
func FreshContained(python string, timeout time.Duration) ContainedFunc {
	return func(ctx context.Context, tables []core.TableRef, big, small string) (bool, error) {
		return judge.Contained(ctx, python, tables, big, small, timeout)
	}
}

// Options configure one scoring run.
type Options struct {
	Config Config
	// RunDir is the run folder; with Resume it must hold a results.json.
	RunDir string
	Resume bool
	// Exe is the harness binary started as `serve` when Config.Endpoint is empty.
	Exe          string
	ReadyTimeout time.Duration
	Judge        JudgeFunc
	// Contained confirms the columns class row by row; nil leaves it decided
	// on the column hashes alone (see Classify).
	Contained ContainedFunc
	Progress  io.Writer
	TTY       bool
}

// Select loads the bench and applies --ids then --limit, keeping bench order.
func Select(cfg Config) ([]core.Task, error) {
	tasks, err := core.LoadBench(cfg.Bench, cfg.Data)
	if err != nil {
		return nil, err
	}
	if len(cfg.IDs) > 0 {
		byID := map[string]bool{}
		for _, id := range cfg.IDs {
			byID[id] = true
		}
		var kept []core.Task
		for _, t := range tasks {
			if byID[t.ID] {
				kept = append(kept, t)
				delete(byID, t.ID)
			}
		}
		for id := range byID {
			return nil, fmt.Errorf("--ids: no task %q in %s", id, cfg.Bench)
		}
		tasks = kept
	}
	if cfg.Limit > 0 && cfg.Limit < len(tasks) {
		tasks = tasks[:cfg.Limit]
	}
	if len(tasks) == 0 {
		return nil, fmt.Errorf("no tasks selected from %s", cfg.Bench)
	}
	return tasks, nil
}

// Pending returns the tasks not yet in samples, in order.
func Pending(tasks []core.Task, samples []Sample) []core.Task {
	done := map[string]bool{}
	for _, s := range samples {
		done[s.ID] = true
	}
	var out []core.Task
	for _, t := range tasks {
		if !done[t.ID] {
			out = append(out, t)
		}
	}
	return out
}

// Run scores the selected questions through a server, recording each one as
// it is judged. When ctx is cancelled it stops after recording what was
// scored and returns the results so far with Interrupted set (and ctx's error).
func Run(ctx context.Context, opts Options) (Results, error) {
	cfg := opts.Config
	var res Results
	if opts.Resume {
		prev, err := LoadResults(opts.RunDir)
		if err != nil {
			return res, err
		}
		res = prev
		res.Notes = nil
	} else {
		res = Results{ID: filepath.Base(opts.RunDir), Started: time.Now().UTC()}
	}
	res.Config = cfg
	tasks, err := Select(cfg)
	if err != nil {
		return res, err
	}
	res.Planned = len(tasks)
	rec, done, err := OpenRecord(opts.RunDir)
	if err != nil {
		return res, err
	}
	defer rec.Close()
	pending := Pending(tasks, done)

	gpu := &GPUReader{}
	res.Machine = MachineInfo(gpu)
	src, err := repo.Root()
	if err != nil {
		src = filepath.Dir(opts.Exe)
	}
	res.Git = GitState(src)
	if cfg.Model != "" {
		sum, _, err := FileSHA256(cfg.Model)
		if err != nil {
			return res, fmt.Errorf("model: %w", err)
		}
		if res.ModelSHA256 != "" && res.ModelSHA256 != sum {
			res.Notes = append(res.Notes, "resumed with a different model file than the run started with")
		}
		res.ModelFile, res.ModelSHA256 = filepath.Base(cfg.Model), sum
	}
	if !gpu.Present() {
		res.Notes = append(res.Notes, "nvidia-smi absent or failing: VRAM read as 0 MB, as the runner would")
	}
	Summarize(&res, done)
	if err := WriteResults(opts.RunDir, res); err != nil {
		return res, err
	}
	if len(pending) == 0 {
		return finish(opts.RunDir, res, done, false)
	}

	conn, err := connect(ctx, opts, gpu, &res)
	if err != nil {
		return res, err
	}
	defer conn.stop()

	prog := &progress{out: opts.Progress, tty: opts.TTY, total: len(tasks)}
	for _, s := range done {
		prog.add(s)
	}
	all := done
	httpFailures := 0
	for _, t := range pending {
		if ctx.Err() != nil {
			break
		}
		s, err := scoreOne(ctx, conn, opts.Judge, t)
		if err == nil {
			err = classify(ctx, opts.Contained, t, &s)
		}
		if ctx.Err() != nil {
			break // the question in flight is not recorded: resume redoes it
		}
		if err != nil {
			prog.end()
			res.Notes = append(res.Notes, err.Error())
			fres, _ := finish(opts.RunDir, res, all, true)
			return fres, err
		}
		if err := rec.Append(s); err != nil {
			prog.end()
			return res, err
		}
		all = append(all, s)
		prog.add(s)
		prog.show(s)
		if s.Kind() == "http" {
			httpFailures++
			if err := conn.alive(); err != nil {
				prog.end()
				res.Notes = append(res.Notes, err.Error())
				fres, _ := finish(opts.RunDir, res, all, true)
				return fres, err
			}
		}
	}
	prog.end()
	if httpFailures > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d requests failed at the HTTP level: the real runner would abort the whole run", httpFailures))
	}
	interrupted := ctx.Err() != nil
	fres, err := finish(opts.RunDir, res, all, interrupted)
	if err == nil && interrupted {
		err = ctx.Err()
	}
	return fres, err
}

func finish(dir string, res Results, all []Sample, interrupted bool) (Results, error) {
	res.Interrupted = interrupted || len(all) < res.Planned
	res.Finished = time.Now().UTC()
	Summarize(&res, all)
	return res, WriteResults(dir, res)
}

// conn is a ready server: the client, the memory sampler of its process
// tree, its log (nil for --endpoint), and how to stop it.
type conn struct {
	client  *Client
	sampler *Sampler
	logs    *ServerLogReader
	stop    func()
	alive   func() error
}

// connect starts the server child (or finds the endpoint's process) and waits until it is ready.
func connect(ctx context.Context, opts Options, gpu *GPUReader, res *Results) (*conn, error) {
	cfg := opts.Config
	if cfg.Endpoint != "" {
		c := &conn{client: NewClient(cfg.Endpoint), stop: func() {}, alive: func() error { return nil }}
		if err := c.client.WaitReady(ctx, opts.ReadyTimeout, nil); err != nil {
			return nil, err
		}
		pid := 0
		if u, err := url.Parse(cfg.Endpoint); err == nil {
			if p, err := strconv.Atoi(u.Port()); err == nil {
				pid = ListenerPID(p)
			}
		}
		if pid == 0 {
			res.Notes = append(res.Notes, "no local process found listening at the endpoint: RAM read as 0 MB")
		}
		c.sampler = &Sampler{PID: pid, GPU: gpu}
		return c, nil
	}
	srv, err := StartServer(ServerSpec{
		Exe: opts.Exe, Model: cfg.Model, Config: cfg.ServerConfig, K: cfg.K, Extra: cfg.ServeArgs,
		Log: filepath.Join(opts.RunDir, ServerLog), Output: filepath.Join(opts.RunDir, ServerOutput),
	})
	if err != nil {
		return nil, err
	}
	c := &conn{
		client:  NewClient("http://" + srv.Addr),
		sampler: &Sampler{PID: srv.PID(), GPU: gpu},
		logs:    &ServerLogReader{Path: filepath.Join(opts.RunDir, ServerLog)},
		stop:    func() { srv.Stop(10 * time.Second) },
		alive:   srv.Alive,
	}
	ready := false
	defer func() {
		if !ready { // also on a panic: never leave the child running
			c.stop()
		}
	}()
	if err := c.client.WaitReady(ctx, opts.ReadyTimeout, srv.Alive); err != nil {
		return nil, err
	}
	// Read past lines an earlier session logged (a resumed run appends to the same log).
	c.logs.readNew()
	ready = true
	return c, nil
}

// scoreOne asks one question while sampling memory, then judges answer and gold.
func scoreOne(ctx context.Context, c *conn, judgeCode JudgeFunc, t core.Task) (Sample, error) {
	s := Sample{ID: t.ID, Category: t.Category, Question: t.Question, Tables: t.Tables, Gold: t.GoldCode}
	stopSampling := c.sampler.Start()
	a, chatErr := c.client.Chat(ctx, t.Question, t.Tables, t.ID)
	peaks := stopSampling()
	s.Answer, s.RequestID, s.Seconds = a.Code, a.RequestID, a.Seconds
	s.PeakRAMMB, s.PeakVRAMMB = peaks.RAMMB, peaks.VRAMMB
	s.At = time.Now().UTC()
	if ctx.Err() != nil {
		return s, ctx.Err()
	}
	if c.logs != nil {
		s.Server = c.logs.Find(a.RequestID, 2*time.Second)
	}
	gv, err := judgeCode(ctx, t.Tables, t.GoldCode)
	if err != nil {
		return s, fmt.Errorf("judging gold of %s: %w", t.ID, err)
	}
	s.GoldVerdict = gv
	if chatErr != nil {
		s.ErrorKind = chatErr.Error()
		return s, nil
	}
	v, jerr := judgeCode(ctx, t.Tables, s.Answer)
	if jerr != nil {
		return s, fmt.Errorf("judging answer of %s: %w", t.ID, jerr)
	}
	s.Verdict = v
	switch {
	case !s.GoldVerdict.OK:
		s.ErrorKind = "gold: " + s.GoldVerdict.Error
	case !v.OK:
		s.ErrorKind = "runtime: " + v.Error
	case judge.Match(v, s.GoldVerdict):
		s.Correct = true
	default:
		s.ErrorKind = "mismatch"
	}
	return s, nil
}

// classify sets the sample's failure class, confirming the columns class
// row by row when contained is given.
func classify(ctx context.Context, contained ContainedFunc, t core.Task, s *Sample) error {
	s.Class, s.ClassDetail = Classify(*s)
	if s.Class != ClassColumns || contained == nil {
		return nil
	}
	big, small := s.Answer, t.GoldCode
	if strings.HasPrefix(s.ClassDetail, "missing") {
		big, small = small, big
	}
	ok, err := contained(ctx, t.Tables, big, small)
	if err != nil {
		return fmt.Errorf("comparing the columns of %s: %w", t.ID, err)
	}
	if !ok {
		s.Class, s.ClassDetail = ClassWrong, "the columns match one by one, but not row by row"
	}
	return nil
}

// progress shows count, accuracy so far and seconds per question: one
// updating line on a terminal, one plain line per question otherwise.
type progress struct {
	out                  io.Writer
	tty                  bool
	total, done, correct int
	sumT                 float64
}

func (p *progress) add(s Sample) {
	p.done++
	p.sumT += s.Seconds
	if s.Correct {
		p.correct++
	}
}

func (p *progress) show(s Sample) {
	if p.out == nil {
		return
	}
	outcome := s.Kind()
	if s.Class != "" && s.Class != ClassRight {
		outcome += " (" + s.Class + ")"
	}
	line := fmt.Sprintf("[%d/%d] acc %.1f%%  %.2f s/q  %s %s %.2fs", p.done, p.total,
		100*float64(p.correct)/float64(p.done), p.sumT/float64(p.done), s.ID, outcome, s.Seconds)
	if p.tty {
		fmt.Fprint(p.out, "\r\033[K"+line)
	} else {
		fmt.Fprintln(p.out, line)
	}
}

func (p *progress) end() {
	if p.out != nil && p.tty {
		fmt.Fprintln(p.out)
	}
}
