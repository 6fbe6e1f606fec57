package simulator

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
//   - IAM faults (SetIAMFault) apply to the lookup too, after the
//     credentials check.

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

// projectStats are the project list's counters, part of stats.
type projectStats struct {
	requests   int
	lastName   string
	lastHeader bool // the last request carried X-Project-Id
}

// SetProjects makes the project list answer ids for the project name
// (no ids: no project of that name). New starts with DefaultProject ->
// DefaultProjectID.
func (s *Server) SetProjects(name string, ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.projects[name] = append([]string(nil), ids...)
}

// ProjectRequests reports how many project-list requests arrived (any
// outcome).
func (s *Server) ProjectRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.projects.requests
}

// LastProjectQuery returns the name asked for by the last project-list
// request that passed the credentials check, and whether it carried
// X-Project-Id (the SDK's lookup does not).
func (s *Server) LastProjectQuery() (name string, withProjectHeader bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.projects.lastName, s.st.projects.lastHeader
}

func (s *Server) serveProjects(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.st.projects.requests++
	s.mu.Unlock()

	var e *apiError
	if isSigned(r) {
		e = s.authorizeSignatureNoProject(r)
	} else {
		e = s.authorizeToken(r)
	}
	if e != nil {
		e.write(w)
		return
	}
	if k := s.takeIAMFault(); k != FaultNone {
		s.writeFault(w, r, k, true)
		return
	}
	name := r.URL.Query().Get("name")
	s.mu.Lock()
	s.st.projects.lastName = name
	s.st.projects.lastHeader = r.Header.Get("X-Project-Id") != ""
	body := s.projectList(name, r.Host)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
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
