package api

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openAPISpec is checked against the router by TestOpenAPIMatchesRoutes, so it cannot
// silently fall behind the code.
//
//go:embed openapi.json
var openAPISpec []byte

func (s *Server) openAPI(c *gin.Context) { c.Data(http.StatusOK, "application/json", openAPISpec) }
