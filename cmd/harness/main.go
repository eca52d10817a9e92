// Command harness is the text-to-Polars harness: inference, workers, serving,
// scoring, datasets and fine-tuning, one verb each (see cmd/commands).
package main

import (
	"os"

	"polarsbench/cmd/commands"
)

func main() {
	os.Exit(commands.Execute())
}
