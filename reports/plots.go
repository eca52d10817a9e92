package reports

import (
	"fmt"
	"image/color"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// barPlot draws one bar per name.
func barPlot(title, ylabel string, names []string, values []float64) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	bars, err := plotter.NewBarChart(plotter.Values(values), vg.Points(36))
	if err != nil {
		return nil, err
	}
	bars.Color = plotutil.Color(0)
	p.Add(bars)
	p.NominalX(names...)
	zeroBased(p)
	return p, nil
}

// stackedPlot draws one stacked bar per group, one layer per series.
func stackedPlot(title, ylabel string, groups []string, series []string, values [][]float64) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	var below *plotter.BarChart
	for i, name := range series {
		bars, err := plotter.NewBarChart(plotter.Values(values[i]), vg.Points(36))
		if err != nil {
			return nil, err
		}
		bars.Color = plotutil.Color(i)
		bars.LineStyle.Width = 0
		if below != nil {
			bars.StackOn(below)
		}
		below = bars
		p.Add(bars)
		p.Legend.Add(name, bars)
	}
	// The legend sits top right in room kept free beside the last bar.
	p.Legend.Top = true
	p.NominalX(groups...)
	p.X.Max = float64(len(groups)) + 0.3
	zeroBased(p)
	return p, nil
}

// histPlot draws a histogram of values.
func histPlot(title, xlabel string, values []float64, bins int) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = "questions"
	h, err := plotter.NewHist(plotter.Values(values), bins)
	if err != nil {
		return nil, err
	}
	h.FillColor = color.RGBA{R: 80, G: 120, B: 200, A: 255}
	p.Add(h)
	return p, nil
}

// linePlot draws y against the run index.
func linePlot(title, ylabel string, ys []float64, names []string) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	pts := make(plotter.XYs, len(ys))
	for i, y := range ys {
		pts[i].X, pts[i].Y = float64(i), y
	}
	line, dots, err := plotter.NewLinePoints(pts)
	if err != nil {
		return nil, err
	}
	p.Add(line, dots)
	p.NominalX(names...)
	zeroBased(p)
	return p, nil
}

func save(p *plot.Plot, path string) error {
	if err := p.Save(7*vg.Inch, 4*vg.Inch, path); err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	return nil
}

// saveColumn stacks plots vertically into one PNG.
func saveColumn(plots []*plot.Plot, path string) error {
	img := vgimg.New(8*vg.Inch, vg.Length(len(plots))*3.5*vg.Inch)
	dc := draw.New(img)
	grid := make([][]*plot.Plot, len(plots))
	for i, p := range plots {
		grid[i] = []*plot.Plot{p}
	}
	tiles := draw.Tiles{Rows: len(plots), Cols: 1, PadY: vg.Millimeter * 6, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 4}
	canvases := plot.Align(grid, tiles, dc)
	for i, p := range plots {
		p.Draw(canvases[i][0])
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("plot %s: %w", path, err)
	}
	return f.Close()
}

// zeroBased starts the Y axis at 0 with a little headroom; all-zero data
// (a run with nothing right) still gets a 0..1 axis instead of -1..1.
func zeroBased(p *plot.Plot) {
	p.Y.Min = 0
	p.Y.Max *= 1.05
	if p.Y.Max <= 0 {
		p.Y.Max = 1
	}
}
