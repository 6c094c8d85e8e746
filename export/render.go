package export

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/fogleman/gg"
	"github.com/goccy/go-graphviz"
	"github.com/goccy/go-graphviz/gvc"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
)

// pngDPI is the resolution of rendered PNGs: 1.5 times the 96 dpi screen
// default, so that 14-point labels stay legible when the picture is scaled.
const pngDPI = 144

// pngMaxInches bounds each side of a PNG (at pngDPI: 5,760 pixels).
const pngMaxInches = 40

// renderMu serialises renders: one Graphviz WebAssembly instance lays out one
// graph at a time, and the PNG engine's fonts are shared.
var renderMu sync.Mutex

// Render lays out a DOT graph with Graphviz (compiled to WebAssembly inside
// github.com/goccy/go-graphviz, so no dot binary is needed) and writes it as
// SVG or PNG. The picture is rendered whole before anything is written.
func Render(w io.Writer, dot []byte, f Format) error {
	if f != SVG && f != PNG {
		return fmt.Errorf("render: unsupported format %q", f)
	}
	renderMu.Lock()
	defer renderMu.Unlock()
	ctx := context.Background()
	engine := &pngEngine{DefaultRenderEngine: new(gvc.DefaultRenderEngine)}
	rp, err := gvc.NewRenderPlugin(ctx, "png", engine)
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	dp, err := gvc.NewDevicePlugin(ctx, "png:png", gvc.WithDeviceDPI(pngDPI, pngDPI))
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	gv, err := graphviz.NewWithPlugins(ctx, rp, dp)
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	defer gv.Close()
	graph, err := graphviz.ParseBytes(dot)
	if err != nil {
		return fmt.Errorf("render: the DOT source does not parse: %w", err)
	}
	defer graph.Close()
	if f == PNG {
		// A raster of a big graph is huge (the demo's workload level would be
		// about 6800×14000 pixels): Graphviz scales the drawing down to fit
		// pngMaxInches on each side.
		graph.SetSize(pngMaxInches, pngMaxInches)
	}
	var buf bytes.Buffer
	if err := gv.Render(ctx, graph, graphviz.Format(f), &buf); err != nil {
		return fmt.Errorf("render %s: %w", f, err)
	}
	if buf.Len() == 0 {
		return fmt.Errorf("render %s: Graphviz produced no output", f)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// pngEngine draws Graphviz's render calls with fogleman/gg. go-graphviz ships
// a PNG engine too, but it strokes no outlines (node borders, cluster frames
// and edge lines are missing) and looks fonts up on the system; this one fills
// and strokes every shape and always uses the Go fonts, so that a PNG is the
// same on every machine.
type pngEngine struct {
	*gvc.DefaultRenderEngine
	dc *gg.Context
}

// BeginPage starts a canvas of the page's size in pixels.
func (e *pngEngine) BeginPage(_ context.Context, job *gvc.Job) error {
	e.dc = gg.NewContext(int(job.Width()), int(job.Height()))
	e.dc.SetRGB(1, 1, 1)
	e.dc.Clear()
	t := job.Translation()
	e.dc.Translate(e.x(job, t.X()), e.y(job, -t.Y()))
	return nil
}

// EndPage encodes the canvas as the job's output.
func (e *pngEngine) EndPage(_ context.Context, job *gvc.Job) error {
	var buf bytes.Buffer
	if err := e.dc.EncodePNG(&buf); err != nil {
		return err
	}
	job.SetOutputData(buf.Bytes())
	job.SetOutputDataPosition(uint(buf.Len()))
	return nil
}

func (e *pngEngine) x(job *gvc.Job, v float64) float64 { return job.Scale().X() * v }
func (e *pngEngine) y(job *gvc.Job, v float64) float64 { return job.Scale().Y() * v }

func (e *pngEngine) setColor(c *gvc.Color) {
	rgba := c.RGBAUint()
	e.dc.SetRGBA255(int(rgba[0]), int(rgba[1]), int(rgba[2]), int(rgba[3]))
}

// path traces points (Graphviz coordinates, y up) on the canvas.
func (e *pngEngine) path(job *gvc.Job, pts []*gvc.PointFloat, closed bool) {
	e.dc.NewSubPath()
	e.dc.MoveTo(e.x(job, pts[0].X()), e.y(job, -pts[0].Y()))
	for _, p := range pts[1:] {
		e.dc.LineTo(e.x(job, p.X()), e.y(job, -p.Y()))
	}
	if closed {
		e.dc.ClosePath()
	}
}

// hasFill reports whether the object being drawn is filled. The drawing
// calls' own filled argument is not used: through go-graphviz's WebAssembly
// bridge it arrives true for every shape, edges included.
func hasFill(job *gvc.Job) bool { return job.Object().Fill() != gvc.FillNone }

// paint fills the current path with the fill colour when filled, then strokes
// it with the pen unless the pen is invisible.
func (e *pngEngine) paint(job *gvc.Job, filled bool) {
	o := job.Object()
	if filled {
		e.setColor(o.FillColor())
		e.dc.FillPreserve()
	}
	if o.Pen() == gvc.PenNone {
		e.dc.ClearPath()
		return
	}
	e.setColor(o.PenColor())
	width := o.PenWidth()
	if width <= 0 {
		width = 1
	}
	e.dc.SetLineWidth(width * job.Scale().X())
	switch o.Pen() {
	case gvc.PenDashed:
		e.dc.SetDash(6, 4)
	case gvc.PenDotted:
		e.dc.SetDash(2, 4)
	default:
		e.dc.SetDash()
	}
	e.dc.Stroke()
	e.dc.SetDash()
}

// Polygon draws a closed polygon; arrowheads are filled with the pen colour.
func (e *pngEngine) Polygon(_ context.Context, job *gvc.Job, pts []*gvc.PointFloat, _ bool) error {
	e.path(job, pts, true)
	e.paint(job, hasFill(job) || job.Object().Type() == gvc.EdgeObjectType)
	return nil
}

// Polyline draws an open line.
func (e *pngEngine) Polyline(_ context.Context, job *gvc.Job, pts []*gvc.PointFloat) error {
	e.path(job, pts, false)
	e.paint(job, false)
	return nil
}

// Ellipse draws an ellipse given its centre and a corner of its bounding box.
func (e *pngEngine) Ellipse(_ context.Context, job *gvc.Job, pts []*gvc.PointFloat, _ bool) error {
	e.dc.NewSubPath()
	e.dc.DrawEllipse(e.x(job, pts[0].X()), e.y(job, -pts[0].Y()), e.x(job, pts[1].X()-pts[0].X()), e.y(job, pts[1].Y()-pts[0].Y()))
	e.paint(job, hasFill(job))
	return nil
}

// BezierCurve draws a cubic Bézier spline (1 + 3n points).
func (e *pngEngine) BezierCurve(_ context.Context, job *gvc.Job, pts []*gvc.PointFloat, _ bool) error {
	e.dc.NewSubPath()
	e.dc.MoveTo(e.x(job, pts[0].X()), e.y(job, -pts[0].Y()))
	for i := 1; i+2 < len(pts); i += 3 {
		e.dc.CubicTo(e.x(job, pts[i].X()), e.y(job, -pts[i].Y()), e.x(job, pts[i+1].X()), e.y(job, -pts[i+1].Y()),
			e.x(job, pts[i+2].X()), e.y(job, -pts[i+2].Y()))
	}
	e.paint(job, hasFill(job) && job.Object().Type() != gvc.EdgeObjectType)
	return nil
}

// TextSpan draws one line of a label with the Go fonts (bold when asked).
func (e *pngEngine) TextSpan(_ context.Context, job *gvc.Job, p *gvc.PointFloat, span *gvc.TextSpan) error {
	f := span.Font()
	face, err := goFace(f.Flags()&1 != 0, f.Size()*job.Scale().Y())
	if err != nil {
		return err
	}
	e.dc.SetFontFace(face)
	e.setColor(job.Object().PenColor())
	x := e.x(job, p.X())
	switch span.Just() {
	case 'r':
		x -= e.x(job, span.Size().X())
	case 'l':
	default:
		x -= e.x(job, span.Size().X()/2)
	}
	y := e.y(job, p.Y()+span.YOffsetCenterLine()+span.YOffsetLayout())
	e.dc.DrawString(span.Text(), x, -y)
	return nil
}

var (
	fontMu    sync.Mutex
	fontFaces = map[[2]float64]font.Face{}
)

// goFace returns the Go Regular (or Bold) face at a pixel size, cached.
func goFace(bold bool, size float64) (font.Face, error) {
	key := [2]float64{0, size}
	ttf := goregular.TTF
	if bold {
		key[0], ttf = 1, gobold.TTF
	}
	fontMu.Lock()
	defer fontMu.Unlock()
	if f, ok := fontFaces[key]; ok {
		return f, nil
	}
	parsed, err := opentype.Parse(ttf)
	if err != nil {
		return nil, err
	}
	face, err := opentype.NewFace(parsed, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, err
	}
	fontFaces[key] = face
	return face, nil
}
