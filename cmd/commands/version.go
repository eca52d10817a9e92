package commands

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func newCmdVersion(ios *IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the harness version, Go version and pinned engine",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			rev, dirty := "unknown", ""
			engine := "github.com/ollama/ollama (llama.cpp)"
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, s := range bi.Settings {
					switch s.Key {
					case "vcs.revision":
						rev = s.Value
					case "vcs.modified":
						if s.Value == "true" {
							dirty = "+dirty"
						}
					}
				}
				for _, d := range bi.Deps {
					if d.Path == "github.com/ollama/ollama" {
						engine = d.Path + " " + d.Version + " (llama.cpp)"
					}
				}
			}
			fmt.Fprintf(ios.Out, "harness %s%s\n%s %s/%s\nengine %s\n", rev, dirty, runtime.Version(), runtime.GOOS, runtime.GOARCH, engine)
			return nil
		},
	}
}
