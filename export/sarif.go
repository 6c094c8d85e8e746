package export

import (
	"net/url"
	"path/filepath"
	"strings"

	"github.com/netreach/netreach/engine"
)

// SARIF 2.1.0 (OASIS): the subset netreach writes for `audit -o sarif`.

// SARIFLog is a SARIF log with one run.
type SARIFLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []SARIFRun `json:"runs"`
}

// SARIFRun is the run of netreach: the tool with its rules, and the results.
type SARIFRun struct {
	Tool    SARIFTool     `json:"tool"`
	Results []SARIFResult `json:"results"`
	// Properties say when the audit is partial.
	Properties *SARIFRunProps `json:"properties,omitempty"`
}

// SARIFRunProps are the run's properties: set only for a partial audit.
type SARIFRunProps struct {
	// Partial is true when only ReadNamespaces were read.
	Partial        bool     `json:"partial"`
	ReadNamespaces []string `json:"readNamespaces"`
	Note           string   `json:"note"`
}

// SARIFTool names the tool.
type SARIFTool struct {
	Driver SARIFDriver `json:"driver"`
}

// SARIFDriver is netreach with its rule metadata.
type SARIFDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []SARIFRule `json:"rules"`
}

// SARIFRule is a reportingDescriptor: one audit rule.
type SARIFRule struct {
	ID                   string             `json:"id"`
	Name                 string             `json:"name"`
	ShortDescription     SARIFText          `json:"shortDescription"`
	FullDescription      SARIFText          `json:"fullDescription"`
	Help                 SARIFMarkdown      `json:"help"`
	DefaultConfiguration SARIFConfiguration `json:"defaultConfiguration"`
	Properties           SARIFRuleProps     `json:"properties"`
}

// SARIFText is a message with plain text.
type SARIFText struct {
	Text string `json:"text"`
}

// SARIFMarkdown is a message with text and Markdown.
type SARIFMarkdown struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

// SARIFConfiguration carries a rule's default level.
type SARIFConfiguration struct {
	Level string `json:"level"`
}

// SARIFRuleProps are the rule properties code-scanning UIs read.
type SARIFRuleProps struct {
	Tags []string `json:"tags"`
	// SecuritySeverity is a CVSS-like score as a string (GitHub's convention).
	SecuritySeverity string `json:"security-severity"`
	Severity         string `json:"netreach-severity"`
}

// SARIFResult is one finding.
type SARIFResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             SARIFText         `json:"message"`
	Locations           []SARIFLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	// BaselineState is "new" or "unchanged" when the audit was compared
	// with a --baseline, and absent otherwise.
	BaselineState string `json:"baselineState,omitempty"`
}

// SARIFLocation places a result: in a file when the object came from one, and
// always by the object's name.
type SARIFLocation struct {
	PhysicalLocation *SARIFPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []SARIFLogical `json:"logicalLocations"`
}

// SARIFPhysical is a file and a line.
type SARIFPhysical struct {
	ArtifactLocation SARIFArtifact `json:"artifactLocation"`
	Region           *SARIFRegion  `json:"region,omitempty"`
}

// SARIFArtifact is a file by URI.
type SARIFArtifact struct {
	URI string `json:"uri"`
}

// SARIFRegion is where in the file.
type SARIFRegion struct {
	StartLine int `json:"startLine"`
}

// SARIFLogical names the Kubernetes object.
type SARIFLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

// sarifLevel maps a severity to a SARIF level.
func sarifLevel(s engine.Severity) string {
	switch s {
	case engine.SeverityCritical, engine.SeverityHigh:
		return "error"
	case engine.SeverityMedium:
		return "warning"
	}
	return "note"
}

// securitySeverity maps a severity to the score code-scanning UIs sort by.
var securitySeverity = map[engine.Severity]string{
	engine.SeverityCritical: "9.5", engine.SeverityHigh: "8.0", engine.SeverityMedium: "5.5", engine.SeverityLow: "3.0"}

// NewSARIF converts an audit document to a SARIF 2.1.0 log: every rule with
// its metadata, and one result per finding.
func NewSARIF(d *AuditDoc) *SARIFLog {
	drv := SARIFDriver{Name: "netreach", Version: d.ToolVersion, InformationURI: "https://github.com/netreach/netreach"}
	index := map[string]int{}
	for i, r := range engine.Rules {
		index[r.ID] = i
		md := r.Description + "\n\n**Remediation:** " + r.Remediation + "\n\n**References:**\n"
		for _, ref := range r.References {
			md += "- " + ref + "\n"
		}
		drv.Rules = append(drv.Rules, SARIFRule{ID: r.ID, Name: r.Name,
			ShortDescription: SARIFText{Text: r.Title}, FullDescription: SARIFText{Text: r.Description},
			Help:                 SARIFMarkdown{Text: r.Description + " Remediation: " + r.Remediation + " References: " + strings.Join(r.References, "; "), Markdown: md},
			DefaultConfiguration: SARIFConfiguration{Level: sarifLevel(r.Severity)},
			Properties: SARIFRuleProps{Tags: []string{"security", "kubernetes", "networkpolicy"},
				SecuritySeverity: securitySeverity[r.Severity], Severity: r.Severity.String()}})
	}
	run := SARIFRun{Tool: SARIFTool{Driver: drv}, Results: []SARIFResult{}}
	if len(d.ReadNamespaces) > 0 {
		run.Properties = &SARIFRunProps{Partial: true, ReadNamespaces: d.ReadNamespaces, Note: "Partial audit: " + partialText(d.ReadNamespaces)}
	}
	for _, f := range d.Findings {
		sev, _ := engine.ParseSeverity(f.Severity)
		text := f.Message
		for _, e := range f.Evidence {
			text += "\n- " + e
		}
		res := SARIFResult{RuleID: f.ID, RuleIndex: index[f.ID], Level: sarifLevel(sev), Message: SARIFText{Text: text},
			PartialFingerprints: map[string]string{"netreachFinding/v1": f.ID + ":" + f.Key}}
		if d.Baseline != "" {
			res.BaselineState = "new"
			if f.InBaseline {
				res.BaselineState = "unchanged"
			}
		}
		for _, r := range f.Resources {
			loc := SARIFLocation{LogicalLocations: []SARIFLogical{{Name: r.Name, FullyQualifiedName: r.Kind + "/" + r.ID, Kind: "object"}}}
			if uri := sarifURI(r.File, d.Demo); uri != "" {
				loc.PhysicalLocation = &SARIFPhysical{ArtifactLocation: SARIFArtifact{URI: uri}}
				if r.Line > 0 {
					loc.PhysicalLocation.Region = &SARIFRegion{StartLine: r.Line}
				}
			}
			res.Locations = append(res.Locations, loc)
		}
		run.Results = append(run.Results, res)
	}
	return &SARIFLog{Schema: "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
		Version: "2.1.0", Runs: []SARIFRun{run}}
}

// sarifURI turns the file an object was read from into an artifact URI: a file
// of the bundled demo ("demo/NAME") becomes its path in the repository
// (testdata/demo/NAME), a relative path stays relative to where netreach ran,
// an absolute path becomes a file: URI; standard input has none.
func sarifURI(file string, demo bool) string {
	switch {
	case file == "" || file == "<stdin>":
		return ""
	case demo && strings.HasPrefix(file, "demo/"):
		return "testdata/" + file
	case filepath.IsAbs(file):
		return (&url.URL{Scheme: "file", Path: filepath.ToSlash(file)}).String()
	}
	return (&url.URL{Path: strings.TrimPrefix(filepath.ToSlash(file), "./")}).String()
}
