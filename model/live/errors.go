package live

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// resourceName is the resource as RBAC rules and kubectl name it:
// "pods", "networkpolicies.networking.k8s.io".
func resourceName(r Resource) string {
	if r.GVR.Group == "" {
		return r.GVR.Resource
	}
	return r.GVR.Resource + "." + r.GVR.Group
}

// scope says where a list was made: "in namespace shop", "in all namespaces",
// or "" for a cluster-scoped kind.
func scope(r Resource, opts Options) string {
	switch {
	case !r.Namespaced:
		return ""
	case opts.Namespace != "":
		return " in namespace " + opts.Namespace
	}
	return " in all namespaces"
}

// describeFailures returns the error that stops the read: the server cannot
// be reached, the credentials are refused, or a required kind cannot be listed.
func describeFailures(results []listResult, cluster Cluster, opts Options) error {
	// Lists cancelled because another one failed say nothing of their own.
	for _, r := range results {
		if r.err == nil || errors.Is(r.err, context.Canceled) {
			continue
		}
		if err := connectionFailure(r.err, cluster, opts); err != nil {
			return err
		}
	}
	var lines []string
	for i, r := range results {
		res := Resources[i]
		if r.err == nil || !res.Required || errors.Is(r.err, context.Canceled) {
			continue
		}
		lines = append(lines, requiredFailure(res, r.err, cluster, opts))
	}
	if len(lines) == 0 {
		// Only lists cancelled because another failed: cannot happen without a
		// failure above, but never return success for a partial read.
		for i, r := range results {
			if r.err != nil && Resources[i].Required {
				return fmt.Errorf("cannot list %s%s: %w", resourceName(Resources[i]), scope(Resources[i], opts), r.err)
			}
		}
		return nil
	}
	return errors.New(strings.Join(lines, "\n"))
}

// connectionFailure describes an error that every request would meet.
func connectionFailure(err error, cluster Cluster, opts Options) error {
	var ue *url.Error
	var ne net.Error
	switch {
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("the API server at %s rejected the credentials of context %q (401 Unauthorized): "+
			"the token or client certificate is missing, invalid or expired; log in again or refresh the kubeconfig", cluster.Server, cluster.Context)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout(), apierrors.IsTimeout(err):
		return fmt.Errorf("the API server at %s (context %q) did not answer within --request-timeout %s; check that the kubeconfig names the right server, or allow more time",
			cluster.Server, cluster.Context, opts.RequestTimeout)
	case errors.As(err, &ue) && strings.HasPrefix(unwrapURL(ue).Error(), "getting credentials"):
		// An exec or auth plugin of the kubeconfig failed before any request.
		return fmt.Errorf("cannot get credentials for context %q: %v", cluster.Context, unwrapURL(ue))
	case errors.As(err, &ue):
		return fmt.Errorf("cannot reach the API server at %s (context %q): %v; check that the cluster is running and that the kubeconfig names the right server",
			cluster.Server, cluster.Context, unwrapURL(ue))
	}
	return nil
}

// unwrapURL drops the method and URL that client-go's url.Error repeats.
func unwrapURL(e *url.Error) error {
	if e.Err != nil {
		return e.Err
	}
	return e
}

// requiredFailure describes why a kind without which there is no analysis
// could not be listed.
func requiredFailure(res Resource, err error, cluster Cluster, opts Options) string {
	what := "list " + resourceName(res) + scope(res, opts)
	switch {
	case apierrors.IsForbidden(err):
		hint := "grant get and list on it (docs/rbac.yaml is the minimal read-only ClusterRole)"
		if res.Namespaced && opts.Namespace == "" {
			hint += ", or pass -n NAMESPACE to read one namespace you may list"
		}
		return fmt.Sprintf("forbidden: cannot %s with the credentials of context %q, and without %s there is nothing to analyse: %s (the API server said: %s)",
			what, cluster.Context, res.GVR.Resource, hint, apiMessage(err))
	case apierrors.IsNotFound(err):
		return fmt.Sprintf("the API server at %s does not serve %s/%s, which the analysis needs", cluster.Server, res.APIVersion(), res.GVR.Resource)
	}
	return fmt.Sprintf("cannot %s: %v", what, err)
}

// optionalFailure is the warning for a kind the analysis can do without.
func optionalFailure(res Resource, err error, cluster Cluster, opts Options) string {
	what := "list " + resourceName(res) + scope(res, opts)
	switch {
	case apierrors.IsForbidden(err):
		return fmt.Sprintf("forbidden: cannot %s with the credentials of context %q, so %s", what, cluster.Context, res.Loss)
	case apierrors.IsNotFound(err):
		return fmt.Sprintf("the API server does not serve %s/%s, so %s", res.APIVersion(), res.GVR.Resource, res.Loss)
	}
	return fmt.Sprintf("cannot %s (%v), so %s", what, err, res.Loss)
}

// apiMessage is the API server's own message for a status error.
func apiMessage(err error) string {
	var se apierrors.APIStatus
	if errors.As(err, &se) {
		return se.Status().Message
	}
	return err.Error()
}
