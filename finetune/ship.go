package finetune

import (
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// ShipOptions describes a submission tree.
type ShipOptions struct {
	Out      string // destination folder; must be empty or absent
	RepoRoot string // where main.py and requirements.txt come from
	Binary   string // the harness binary to copy (os.Executable() in the command)
	// Model is a local GGUF copied into models/. With ModelURL set instead, the
	// tree gets fetch_model.py and models/fetch.json, and the file is downloaded
	// and checked against ModelSHA256 before use.
	Model       string
	ModelURL    string
	ModelSHA256 string
	ModelName   string // file name under models/ (default: base name of Model or of the URL path)
	Config      []byte // serving settings written as config.json (nil: none)
	// Include lists files or folders, relative to RepoRoot, copied to the same place in
	// the tree: what the server reads from its root, such as the example bank
	// datasets/polarsbench/dev.
	Include []string
}

// ShipResult lists what went into the tree.
type ShipResult struct {
	Files []string `json:"files"` // relative paths
	Model string   `json:"model"` // relative path of the model
}

//go:embed fetch_model.py
var fetchModelPy []byte

// protected lists what the runner strips from requirements.txt; naming one is a mistake.
var protected = map[string]bool{"torch": true, "polars": true, "fastapi": true, "uvicorn": true,
	"pydantic": true, "requests": true, "transformers": true, "accelerate": true}

var reqName = regexp.MustCompile(`^\s*([A-Za-z0-9][A-Za-z0-9._-]*)`)

// CheckRequirements errs when requirements.txt names a package the runner protects.
func CheckRequirements(text string) error {
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "-") {
			continue
		}
		if m := reqName.FindStringSubmatch(line); m != nil {
			name := strings.ToLower(strings.NewReplacer("_", "-", ".", "-").Replace(m[1]))
			if protected[name] {
				return fmt.Errorf("requirements.txt:%d names %s, which the runner protects and drops", i+1, m[1])
			}
		}
	}
	return nil
}

// Ship builds a self-contained submission tree: main.py, requirements.txt,
// bin/harness, lib/ollama/* (GPU backends, when present beside the binary),
// the model (or its checked download step), models/DEFAULT and config.json.
func Ship(o ShipOptions) (ShipResult, error) {
	var res ShipResult
	if (o.Model == "") == (o.ModelURL == "") {
		return res, errors.New("give either a model file or a model URL")
	}
	if o.ModelURL != "" {
		if b, err := hex.DecodeString(o.ModelSHA256); err != nil || len(b) != 32 {
			return res, errors.New("a model URL needs --model-sha256 with 64 hex digits")
		}
		if !strings.HasPrefix(o.ModelURL, "https://") && !strings.HasPrefix(o.ModelURL, "http://") {
			return res, fmt.Errorf("model URL %q: want http:// or https://", o.ModelURL)
		}
	}
	if entries, err := os.ReadDir(o.Out); err == nil && len(entries) > 0 {
		return res, fmt.Errorf("%s is not empty: ship into a new folder", o.Out)
	}
	req, err := os.ReadFile(filepath.Join(o.RepoRoot, "requirements.txt"))
	if err != nil {
		return res, fmt.Errorf("requirements.txt: %w", err)
	}
	if err := CheckRequirements(string(req)); err != nil {
		return res, err
	}
	if _, err := os.Stat(filepath.Join(o.RepoRoot, "main.py")); err != nil {
		return res, fmt.Errorf("main.py: %w", err)
	}
	put := func(rel string, copyFrom string, data []byte, mode os.FileMode) error {
		dst := filepath.Join(o.Out, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		var err error
		if copyFrom != "" {
			err = copyFile(copyFrom, dst, mode)
		} else {
			err = os.WriteFile(dst, data, mode)
		}
		if err != nil {
			return fmt.Errorf("ship %s: %w", rel, err)
		}
		res.Files = append(res.Files, rel)
		return nil
	}
	if err := put("main.py", filepath.Join(o.RepoRoot, "main.py"), nil, 0o644); err != nil {
		return res, err
	}
	if err := put("requirements.txt", "", req, 0o644); err != nil {
		return res, err
	}
	if err := put(filepath.Join("bin", "harness"), o.Binary, nil, 0o755); err != nil {
		return res, err
	}
	// GPU backends load from <exe dir>/../lib/ollama: ship them beside the binary the same way.
	libDir := filepath.Join(filepath.Dir(o.Binary), "..", "lib", "ollama")
	if libs, err := os.ReadDir(libDir); err == nil {
		for _, e := range libs {
			if e.Type().IsRegular() {
				if err := put(filepath.Join("lib", "ollama", e.Name()), filepath.Join(libDir, e.Name()), nil, 0o755); err != nil {
					return res, err
				}
			}
		}
	}
	for _, rel := range o.Include {
		src := filepath.Join(o.RepoRoot, rel)
		err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			r, _ := filepath.Rel(o.RepoRoot, p)
			return put(r, p, nil, 0o644)
		})
		if err != nil {
			return res, fmt.Errorf("include %s: %w", rel, err)
		}
	}
	name := o.ModelName
	if name == "" {
		if o.Model != "" {
			name = filepath.Base(o.Model)
		} else {
			name = filepath.Base(strings.SplitN(o.ModelURL, "?", 2)[0])
		}
	}
	if name == "" || name == "." || name == "/" || strings.ContainsAny(name, `/\`) || !strings.HasSuffix(name, ".gguf") {
		return res, fmt.Errorf("model file name %q: want a plain name ending in .gguf (use --model-name)", name)
	}
	res.Model = filepath.Join("models", name)
	if o.Model != "" {
		if err := put(res.Model, o.Model, nil, 0o644); err != nil {
			return res, err
		}
	} else {
		spec, _ := json.MarshalIndent(map[string]string{"url": o.ModelURL, "sha256": strings.ToLower(o.ModelSHA256), "file": name}, "", "  ")
		if err := put(filepath.Join("models", "fetch.json"), "", append(spec, '\n'), 0o644); err != nil {
			return res, err
		}
		if err := put("fetch_model.py", "", fetchModelPy, 0o755); err != nil {
			return res, err
		}
	}
	if err := put(filepath.Join("models", "DEFAULT"), "", []byte(name+"\n"), 0o644); err != nil {
		return res, err
	}
	if o.Config != nil {
		if !json.Valid(o.Config) {
			return res, errors.New("the serving config is not valid JSON")
		}
		if err := put("config.json", "", o.Config, 0o644); err != nil {
			return res, err
		}
	}
	return res, nil
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
