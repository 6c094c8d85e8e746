package gen

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestShapesTable(t *testing.T) {
	type row struct {
		Name                       string
		Pods, Namespaces, Policies int
	}
	want := []row{
		{"T0", 100, 5, 20},
		{"T1", 1_000, 20, 100},
		{"T2", 10_000, 500, 2_000},
		{"T4a", 100_000, 25_000, 75_000},
		{"T4b", 100_000, 1_000, 10_000},
		{"T4c", 100_000, 100, 10_100},
		{"T5c", 150_000, 150, 15_150},
		{"T5", 150_000, 10_000, 100_000},
		{"T6", 1_000_000, 100_000, 500_000},
		{"A1", 10_000, 1, 10_000},
		{"A2", 10_000, 1, 10_000},
		{"A3", 10_000, 100, 2_000},
		{"A4", 10_000, 100, 250},
		{"A5", 10_000, 100, 250},
		{"A6", 10_000, 100, 1_000},
	}
	var got []row
	for _, s := range Shapes() {
		got = append(got, row{s.Name, s.Pods, s.Namespaces, s.Policies})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Shapes() mismatch (-want +got):\n%s", diff)
	}
}

func TestShapesReturnsACopy(t *testing.T) {
	s := Shapes()
	s[0].Pods = -1
	if got, _ := ShapeByName(s[0].Name); got.Pods == -1 {
		t.Error("changing the slice Shapes returned changed the shape table")
	}
}

func TestShapeByName(t *testing.T) {
	tests := []struct {
		name   string
		wantOK bool
		want   int // pods
	}{
		{"T0", true, 100},
		{"T5", true, 150_000},
		{"A6", true, 10_000},
		{"t0", false, 0},
		{"T3", false, 0},
		{"", false, 0},
	}
	for _, tc := range tests {
		s, ok := ShapeByName(tc.name)
		if ok != tc.wantOK || s.Pods != tc.want {
			t.Errorf("ShapeByName(%q) = (pods %d, %v), want (pods %d, %v)", tc.name, s.Pods, ok, tc.want, tc.wantOK)
		}
		if ok && s.Name != tc.name {
			t.Errorf("ShapeByName(%q) returned shape %q", tc.name, s.Name)
		}
	}
}

func TestScaled(t *testing.T) {
	t5, _ := ShapeByName("T5")
	t0, _ := ShapeByName("T0")
	a2, _ := ShapeByName("A2")
	tests := []struct {
		name   string
		in     Shape
		factor float64
		want   [3]int
	}{
		{"T5 hundredth", t5, 0.01, [3]int{1_500, 100, 1_000}},
		{"T5 double", t5, 2, [3]int{300_000, 20_000, 200_000}},
		{"T0 tiny has floor 1", t0, 0.0001, [3]int{1, 1, 1}},
		{"zero factor", t0, 0, [3]int{1, 1, 1}},
		{"negative factor", t0, -3, [3]int{1, 1, 1}},
		{"A2 keeps one policy per pod", a2, 0.05, [3]int{500, 1, 500}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Scaled(tc.in, tc.factor)
			if c := [3]int{got.Pods, got.Namespaces, got.Policies}; c != tc.want {
				t.Errorf("counts = %v, want %v", c, tc.want)
			}
			// Everything but the counts is kept.
			got.Pods, got.Namespaces, got.Policies = tc.in.Pods, tc.in.Namespaces, tc.in.Policies
			if diff := cmp.Diff(tc.in, got); diff != "" {
				t.Errorf("knobs changed (-want +got):\n%s", diff)
			}
		})
	}
}
