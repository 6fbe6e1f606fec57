package fakecloud

import (
	"net/http"
	"sort"
)

// IAM's project list, GET /v3/projects[?name=...]: what the SDK (and the
// exporter) calls to find the IAM project ID of a region for AK/SK
// requests that have none (IAM API reference, KeystoneListProjects).
//
// Choices where the API reference leaves room:
//   - A signed request is checked as every other signed request, except
//     that it need not carry X-Project-Id: it is how a client learns it. A
//     request with a token is let through if the token is valid.
//   - Projects are the same for every account. By default there is one,
//     DefaultProject / DefaultProjectID; SetProjects changes a name's list,
//     to zero projects or to several.
//   - Hooks.Intercept is called after the credentials check.

const projectsPath = "/v3/projects"

// iamProject is one entry of the list, with the keys IAM sends.
type iamProject struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	DomainID    string            `json:"domain_id"`
	ParentID    string            `json:"parent_id"`
	Description string            `json:"description"`
	Enabled     bool              `json:"enabled"`
	IsDomain    bool              `json:"is_domain"`
	Links       map[string]string `json:"links"`
}

type projectsBody struct {
	Projects []iamProject `json:"projects"`
	Links    struct {
		Self     string  `json:"self"`
		Previous *string `json:"previous"`
		Next     *string `json:"next"`
	} `json:"links"`
}

// SetProjects makes the project list answer ids for the project name
// (no ids: no project of that name). New starts with DefaultProject ->
// DefaultProjectID.
func (s *Server) SetProjects(name string, ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.projects[name] = append([]string(nil), ids...)
}

func (s *Server) serveProjects(w http.ResponseWriter, r *http.Request) {
	var e *Error
	if isSigned(r) {
		e = s.authorizeSignatureNoProject(r)
	} else {
		e = s.authorizeToken(r)
	}
	if e != nil {
		e.Write(w)
		return
	}
	if s.intercept(w, r, CallProjects, "") {
		return
	}
	name := r.URL.Query().Get("name")
	s.mu.Lock()
	body := s.projectList(name, r.Host)
	s.mu.Unlock()
	WriteJSON(w, http.StatusOK, body)
}

// projectList lists the projects named name, or all without a name.
// Requires s.mu.
func (s *Server) projectList(name, host string) projectsBody {
	var body projectsBody
	body.Projects = []iamProject{}
	body.Links.Self = "https://" + host + projectsPath
	names := make([]string, 0, len(s.projects))
	for n := range s.projects {
		if name == "" || n == name {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		for _, id := range s.projects[n] {
			body.Projects = append(body.Projects, iamProject{
				ID: id, Name: n, DomainID: nameID("domain", DefaultDomain), ParentID: nameID("domain", DefaultDomain),
				Enabled: true, Links: map[string]string{"self": "https://" + host + projectsPath + "/" + id},
			})
		}
	}
	return body
}
