package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"orders/internal/decline"
)

// declineText puts a person, a position or both into a case, for the editor: «возложить на»
// and a person picked from the acknowledgement list fills the accusative.
func (s *Server) declineText(c *gin.Context) {
	text, caseName := c.Query("text"), c.Query("case")
	gc, ok := decline.ParseCase(caseName)
	if !ok {
		problem(c, http.StatusBadRequest, fmt.Sprintf("case: «%s» — не падеж; нужен один из: %s", caseName, strings.Join(decline.Abbrev[:], ", ")))
		return
	}
	if len(text) > 1000 {
		problem(c, http.StatusBadRequest, "text: не длиннее 1000 знаков")
		return
	}
	c.JSON(http.StatusOK, gin.H{"text": decline.Phrase(text, gc), "case": gc.String()})
}
