package auth

import "strings"

// ActorName is how a person reads an audit actor: «Зубова А.Н.» for «user:zubova (Зубова
// А.Н.)», the login of a user without a name, «токен API 0193a3b4» for a token. The actor
// itself stays in the record; this is for the pages and the exported registers.
func ActorName(actor string) string {
	if rest, ok := strings.CutPrefix(actor, "user:"); ok {
		if i := strings.Index(rest, " ("); i > 0 && strings.HasSuffix(rest, ")") {
			return rest[i+2 : len(rest)-1]
		}
		return rest
	}
	if rest, ok := strings.CutPrefix(actor, "token:"); ok {
		return "токен API " + rest
	}
	return actor
}
