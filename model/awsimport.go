package model

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The AWS CLI's JSON, as `aws ec2 describe-vpc-peering-connections` and
// `aws ec2 search-transit-gateway-routes` print it: only the fields the
// importers read.

type awsPeerings struct {
	VpcPeeringConnections []awsPeering `json:"VpcPeeringConnections"`
}

type awsPeering struct {
	VpcPeeringConnectionID string     `json:"VpcPeeringConnectionId"`
	AccepterVpcInfo        awsVpcInfo `json:"AccepterVpcInfo"`
	RequesterVpcInfo       awsVpcInfo `json:"RequesterVpcInfo"`
	Status                 struct {
		Code string `json:"Code"`
	} `json:"Status"`
	Tags []struct {
		Key   string `json:"Key"`
		Value string `json:"Value"`
	} `json:"Tags"`
}

type awsVpcInfo struct {
	VpcID        string `json:"VpcId"`
	OwnerID      string `json:"OwnerId"`
	Region       string `json:"Region"`
	CidrBlock    string `json:"CidrBlock"`
	CidrBlockSet []struct {
		CidrBlock string `json:"CidrBlock"`
	} `json:"CidrBlockSet"`
	Ipv6CidrBlockSet []struct {
		Ipv6CidrBlock string `json:"Ipv6CidrBlock"`
	} `json:"Ipv6CidrBlockSet"`
}

type awsRoutes struct {
	Routes []awsRoute `json:"Routes"`
}

type awsRoute struct {
	DestinationCidrBlock      string `json:"DestinationCidrBlock"`
	PrefixListID              string `json:"PrefixListId"`
	State                     string `json:"State"`
	TransitGatewayAttachments []struct {
		TransitGatewayAttachmentID string `json:"TransitGatewayAttachmentId"`
		ResourceID                 string `json:"ResourceId"`
		ResourceType               string `json:"ResourceType"`
	} `json:"TransitGatewayAttachments"`
}

// importAWS turns AWS CLI output into networks. It returns ok=false when the
// data is not one of the formats it knows, so that the caller reads the file as
// a NetworkCatalog instead.
func importAWS(file string, data []byte, vpcID string) (nets []*Network, warnings []string, err error, ok bool) {
	if first := firstSignificant(data); first != '{' {
		return nil, nil, nil, false
	}
	var head map[string]json.RawMessage
	if json.Unmarshal(data, &head) != nil {
		return nil, nil, nil, false
	}
	src := Source{File: file, Doc: 1, Line: 1}
	switch {
	case head["VpcPeeringConnections"] != nil:
		var doc awsPeerings
		if err := json.Unmarshal(data, &doc); err != nil {
			return nil, nil, &LoadError{Errors: []*InputError{{Source: src, Msg: "invalid VPC peering JSON: " + err.Error()}}}, true
		}
		nets, warnings, err = importPeerings(src, &doc, vpcID)
		return nets, warnings, err, true
	case head["Routes"] != nil:
		var doc awsRoutes
		if err := json.Unmarshal(data, &doc); err != nil {
			return nil, nil, &LoadError{Errors: []*InputError{{Source: src, Msg: "invalid transit gateway routes JSON: " + err.Error()}}}, true
		}
		nets, warnings, err = importRoutes(src, &doc)
		return nets, warnings, err, true
	}
	return nil, nil, nil, false
}

// importPeerings makes one peering network per active peering connection of
// vpcID, with the other side's IPv4 and IPv6 CIDR blocks.
func importPeerings(src Source, doc *awsPeerings, vpcID string) ([]*Network, []string, error) {
	ref := ObjectRef{Kind: "VpcPeeringConnections"}
	if vpcID == "" {
		return nil, nil, &LoadError{Errors: []*InputError{{Source: src, Object: ref,
			Msg: "importing VPC peerings needs --vpc-id: the VPC of the cluster, whose peers become networks"}}}
	}
	var nets []*Network
	var warns []string
	var errs []*InputError
	for i, pc := range doc.VpcPeeringConnections {
		path := field.NewPath("VpcPeeringConnections").Index(i)
		var remote awsVpcInfo
		var side string
		switch vpcID {
		case pc.RequesterVpcInfo.VpcID:
			remote, side = pc.AccepterVpcInfo, "AccepterVpcInfo"
		case pc.AccepterVpcInfo.VpcID:
			remote, side = pc.RequesterVpcInfo, "RequesterVpcInfo"
		default:
			warns = append(warns, fmt.Sprintf("%s: %s: peering %s does not involve %s; skipped", src.File, path, pc.VpcPeeringConnectionID, vpcID))
			continue
		}
		// Only an active peering carries traffic (pending, rejected, deleted, ... do not).
		if !strings.EqualFold(pc.Status.Code, "active") {
			warns = append(warns, fmt.Sprintf("%s: %s: peering %s is %s, not active; skipped", src.File, path, pc.VpcPeeringConnectionID, pc.Status.Code))
			continue
		}
		name := pc.VpcPeeringConnectionID
		for _, t := range pc.Tags {
			if t.Key == "Name" && t.Value != "" {
				name = t.Value
			}
		}
		n := &Network{Name: networkName(name), Type: NetworkPeering, Source: src,
			Description: fmt.Sprintf("VPC peering %s to %s (account %s, %s)", pc.VpcPeeringConnectionID, remote.VpcID, remote.OwnerID, remote.Region)}
		var cidrs []string
		var paths []*field.Path
		rp := path.Child(side)
		if len(remote.CidrBlockSet) == 0 && remote.CidrBlock != "" {
			cidrs, paths = append(cidrs, remote.CidrBlock), append(paths, rp.Child("CidrBlock"))
		}
		for j, c := range remote.CidrBlockSet {
			cidrs, paths = append(cidrs, c.CidrBlock), append(paths, rp.Child("CidrBlockSet").Index(j).Child("CidrBlock"))
		}
		for j, c := range remote.Ipv6CidrBlockSet {
			cidrs, paths = append(cidrs, c.Ipv6CidrBlock), append(paths, rp.Child("Ipv6CidrBlockSet").Index(j).Child("Ipv6CidrBlock"))
		}
		var perrs []*InputError
		for j, c := range cidrs {
			if p, ok := parseCIDR(c, paths[j], &perrs, &warns); ok {
				n.CIDRs = append(n.CIDRs, p)
			}
		}
		for _, e := range perrs {
			e.Source, e.Object = src, ObjectRef{Kind: "VpcPeeringConnection", Name: pc.VpcPeeringConnectionID}
		}
		errs = append(errs, perrs...)
		if len(n.CIDRs) == 0 && len(perrs) == 0 {
			warns = append(warns, fmt.Sprintf("%s: %s: peering %s lists no CIDR block for %s; skipped", src.File, path, pc.VpcPeeringConnectionID, remote.VpcID))
			continue
		}
		nets = append(nets, n)
	}
	if len(errs) > 0 {
		return nil, warns, &LoadError{Errors: errs}
	}
	return uniqueNames(nets), warns, nil
}

// importRoutes makes one transit network per transit gateway attachment, with
// the destinations of its active routes.
func importRoutes(src Source, doc *awsRoutes) ([]*Network, []string, error) {
	byAttachment := map[string]*Network{}
	var warns []string
	var errs []*InputError
	for i, r := range doc.Routes {
		path := field.NewPath("Routes").Index(i)
		// Blackhole routes drop traffic; only active routes lead somewhere.
		if !strings.EqualFold(r.State, "active") {
			warns = append(warns, fmt.Sprintf("%s: %s: route to %s is %s, not active; skipped", src.File, path, r.DestinationCidrBlock, r.State))
			continue
		}
		if r.DestinationCidrBlock == "" {
			warns = append(warns, fmt.Sprintf("%s: %s: route to prefix list %s has no CIDR block; skipped (list its CIDRs in a NetworkCatalog)", src.File, path, r.PrefixListID))
			continue
		}
		var perrs []*InputError
		p, ok := parseCIDR(r.DestinationCidrBlock, path.Child("DestinationCidrBlock"), &perrs, &warns)
		for _, e := range perrs {
			e.Source = src
		}
		errs = append(errs, perrs...)
		if !ok {
			continue
		}
		for _, a := range r.TransitGatewayAttachments {
			n := byAttachment[a.TransitGatewayAttachmentID]
			if n == nil {
				n = &Network{Name: networkName(a.TransitGatewayAttachmentID), Type: NetworkTransit, Source: src,
					Description: fmt.Sprintf("transit gateway attachment %s (%s %s)", a.TransitGatewayAttachmentID, a.ResourceType, a.ResourceID)}
				byAttachment[a.TransitGatewayAttachmentID] = n
			}
			n.CIDRs = append(n.CIDRs, p)
		}
	}
	if len(errs) > 0 {
		return nil, warns, &LoadError{Errors: errs}
	}
	nets := make([]*Network, 0, len(byAttachment))
	for _, n := range byAttachment {
		n.CIDRs = dedupePrefixes(n.CIDRs)
		nets = append(nets, n)
	}
	sort.Slice(nets, func(i, j int) bool { return nets[i].Name < nets[j].Name })
	return uniqueNames(nets), warns, nil
}

var notNameChar = regexp.MustCompile(`[^a-z0-9-]+`)

// networkName turns a tag or an AWS id into a valid network name.
func networkName(s string) string {
	n := strings.Trim(notNameChar.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(n) > 63 {
		n = strings.TrimRight(n[:63], "-")
	}
	if n == "" {
		n = "network"
	}
	return n
}

// uniqueNames suffixes repeated names (two peerings tagged alike) with -2, -3, ...
func uniqueNames(nets []*Network) []*Network {
	seen := map[string]int{}
	for _, n := range nets {
		seen[n.Name]++
		if k := seen[n.Name]; k > 1 {
			n.Name = fmt.Sprintf("%s-%d", n.Name, k)
		}
	}
	return nets
}

// readInput reads a file, "-" for stdin, or a name of opts.FS.
func readInput(file string, opts *LoadOptions) ([]byte, error) {
	switch {
	case file == "-":
		r := opts.Stdin
		if r == nil {
			r = os.Stdin
		}
		return io.ReadAll(r)
	case opts.FS != nil:
		return fs.ReadFile(opts.FS, file)
	}
	return os.ReadFile(file)
}
