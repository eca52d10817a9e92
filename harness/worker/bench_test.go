package worker

import (
	"context"
	"sync"
	"testing"
	"time"
)

// BenchmarkExecOverhead measures one execution on a warm worker minus the time
// the query itself takes inside the worker (timed in Python by the same code path
// with an empty query), so what remains is the protocol, framing and decoding.
// The query is trivial, so ns/op is essentially all overhead.
func BenchmarkExecOverhead(b *testing.B) {
	p := newPool(b, Options{Workers: 1})
	ctx := context.Background()
	j := Job{Tables: films(b), Code: `result = sk_films.head(3).select("film_id")`}
	if out, err := p.Exec(ctx, j); err != nil || !out.OK {
		b.Fatalf("%v %+v", err, out)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if out, err := p.Exec(ctx, j); err != nil || !out.OK {
			b.Fatalf("%v %+v", err, out)
		}
	}
}

// BenchmarkEightParallel: 8 candidates of a simple dev query (a filter on
// sk_films) run at once on a warm pool; ns/op is the wall time for all 8.
func BenchmarkEightParallel(b *testing.B) {
	p := newPool(b, Options{Workers: 8, Timeout: time.Minute})
	ctx := context.Background()
	j := Job{Tables: films(b), Code: `result = sk_films.filter(pl.col("rating") == "R")`}
	run := func() {
		var wg sync.WaitGroup
		for k := 0; k < 8; k++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if out, err := p.Exec(ctx, j); err != nil || !out.OK {
					b.Errorf("%v %+v", err, out)
				}
			}()
		}
		wg.Wait()
	}
	run() // every worker loads the table once
	run()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run()
	}
}
