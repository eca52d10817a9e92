package commands

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"polarsbench/finetune"
	"polarsbench/harness/answer"
	"polarsbench/harness/repo"
)

type shipOptions struct {
	IO                                      *IOStreams
	Model, ModelURL, ModelSHA256, ModelName string
	Out, Config                             string
	Binary                                  string
	AllowNative                             bool
}

func newCmdShip(ios *IOStreams) *cobra.Command {
	o := &shipOptions{IO: ios}
	c := &cobra.Command{
		Use:   "ship --model PATH --out DIR",
		Short: "Build a self-contained submission tree (main.py, bin/harness, lib/ollama, model, config.json)",
		Long: `Builds DIR so that the runner's command, run from DIR, serves the contract:
python -m uvicorn main:app --host 0.0.0.0 --port P --timeout-keep-alive 1200.
DIR gets main.py and requirements.txt from the repository root, bin/harness (the
portable build bin/harness-portable from ` + "`make build-portable`" + ` unless --binary names
another), lib/ollama/* when present (GPU backends), models/<file> with models/DEFAULT
naming it, config.json (the serving settings; --config copies a file, else the
defaults) and manifest.json (every file, the binary's sha256 and the CPU features it
needs). With --model-url and --model-sha256 instead of --model, DIR gets
fetch_model.py and models/fetch.json: the download is checked before use.

The binary's instruction set is checked (its cgo build flags and, with objdump, its
code): one built -march=native or holding AVX-512 code in its C/C++ part would die
with SIGILL on a runner CPU without them, so ship refuses it unless --allow-native.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runShip(o) },
	}
	f := c.Flags()
	f.StringVar(&o.Model, "model", "", "GGUF to ship")
	f.StringVar(&o.ModelURL, "model-url", "", "URL the shipped tree downloads the model from (instead of --model)")
	f.StringVar(&o.ModelSHA256, "model-sha256", "", "sha256 the download must have (with --model-url)")
	f.StringVar(&o.ModelName, "model-name", "", "file name under models/ (default: the model's base name)")
	f.StringVar(&o.Out, "out", "", "destination folder, new or empty (required)")
	f.StringVar(&o.Config, "config", "", "serving settings JSON (default: the built-in defaults)")
	f.StringVar(&o.Binary, "binary", "", "harness binary to ship (default harness-portable beside this binary: make build-portable)")
	f.BoolVar(&o.AllowNative, "allow-native", false, "ship a binary that is not portable (-march=native, AVX-512 code, or not checkable)")
	return c
}

func runShip(o *shipOptions) error {
	if o.Out == "" || (o.Model == "") == (o.ModelURL == "") {
		return usageError("ship needs --out and either --model or --model-url with --model-sha256")
	}
	if b, err := hex.DecodeString(o.ModelSHA256); o.ModelURL != "" && (err != nil || len(b) != 32) {
		return usageError("--model-url needs --model-sha256 with 64 hex digits")
	}
	if o.Model != "" {
		if _, err := os.Stat(o.Model); err != nil {
			return usageError("model %s does not exist", o.Model)
		}
	}
	root, err := repo.Root()
	if err != nil {
		return err
	}
	bin := o.Binary
	if bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		bin = filepath.Join(filepath.Dir(exe), "harness-portable")
		if _, err := os.Stat(bin); err != nil {
			return fmt.Errorf("no portable binary at %s: run `make build-portable` (or name one with --binary)", bin)
		}
	} else if _, err := os.Stat(bin); err != nil {
		return usageError("binary %s does not exist", bin)
	}
	var cfg []byte
	if o.Config != "" {
		if cfg, err = os.ReadFile(o.Config); err != nil {
			return usageError("config: %v", err)
		}
	} else if cfg, err = json.MarshalIndent(answer.DefaultSettings(), "", "  "); err != nil {
		return err
	}
	res, err := finetune.Ship(finetune.ShipOptions{Out: o.Out, RepoRoot: root, Binary: bin, Model: o.Model,
		ModelURL: o.ModelURL, ModelSHA256: o.ModelSHA256, ModelName: o.ModelName, Config: cfg,
		Include:     []string{"datasets/polarsbench/dev"}, // the example bank serve reads by default
		AllowNative: o.AllowNative})
	if err != nil {
		return err
	}
	isa := res.ISA
	if isa.Portable {
		fmt.Fprintf(o.IO.ErrOut, "ship: %s is portable: needs %s (disassembly: %s; %d AVX-512 instructions, all in CPU-checked Go code)\n",
			bin, strings.Join(isa.Requires, " "), isa.Disassembly, isa.AVX512Go)
	} else {
		fmt.Fprintf(o.IO.ErrOut, "ship: WARNING %s is not portable (%s); shipped because of --allow-native\n", bin, isa.Reason)
	}
	for _, f := range res.Files {
		fmt.Fprintln(o.IO.Out, f)
	}
	fmt.Fprintf(o.IO.ErrOut, "ship: %d files in %s; start it there with python -m uvicorn main:app --host 0.0.0.0 --port P --timeout-keep-alive 1200\n", len(res.Files), o.Out)
	return nil
}
