package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"

	"github.com/google/uuid"

	"orders/internal/auth"
	"orders/internal/registry"
)

var tokenUsage = `usage:
  ordersd token create --role R [--org O] [--name N]   prints the new token once
  ordersd token list [--org O]                          id, role, organization, name, created
  ordersd token revoke --id ID                          a running server refuses it within ` + auth.TokenCacheTTL.String()

// registryFlags binds the flags that find the registry, for the commands that work on it
// without serving (token, user); cfg gets what validate needs besides.
func registryFlags(fs *flag.FlagSet, cfg *config) {
	var all config
	bindFlags(flag.NewFlagSet("", flag.ContinueOnError), &all)
	// The rest of the environment must parse too (validate says so), but role and replicas
	// only matter to a serving process.
	*cfg = all
	cfg.Role, cfg.Replicas = "all", 1
	fs.StringVar(&cfg.DataDir, "data", all.DataDir, "data directory of the SQLite registry ("+envName("data")+")")
	fs.StringVar(&cfg.DatabaseURL, "database-url", all.DatabaseURL, "PostgreSQL URL ("+envName("database-url")+")")
}

// tokenCmd manages API tokens. The registry keeps only their hashes, so a token is shown
// once, when it is created; list and revoke name tokens by their id.
func tokenCmd(args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(tokenUsage)
	}
	var cfg config
	var org, role, name, id string
	fs := flag.NewFlagSet("ordersd token "+args[0], flag.ContinueOnError)
	registryFlags(fs, &cfg)
	switch args[0] {
	case "create":
		fs.StringVar(&org, "org", "", "organization id the token acts for (empty for admin)")
		fs.StringVar(&role, "role", "", "clerk, head, archivist or admin")
		fs.StringVar(&name, "name", "", "a note on whose token this is")
	case "list":
		fs.StringVar(&org, "org", "", "only the tokens of this organization")
	case "revoke":
		fs.StringVar(&id, "id", "", "the token's id, as token list shows it")
	default:
		return errors.New(tokenUsage)
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q\n%s", fs.Arg(0), tokenUsage)
	}
	var tokenID uuid.UUID
	switch args[0] {
	case "create":
		// Check the flags before opening anything.
		if !slices.Contains(auth.Roles, role) {
			return fmt.Errorf("--role: %q is not one of %s", role, strings.Join(auth.Roles, ", "))
		}
		if role != auth.RoleAdmin && org == "" {
			return errors.New("--org is required for a non-admin token")
		}
		if role == auth.RoleAdmin {
			org = ""
		}
	case "revoke":
		var err error
		if tokenID, err = uuid.Parse(id); err != nil {
			return fmt.Errorf("--id: %q is not a token id (token list shows them)", id)
		}
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	ctx := context.Background()
	open := openExistingRegistry
	if args[0] == "create" {
		open = func(ctx context.Context, cfg config) (registry.Store, error) { return openRegistry(ctx, cfg) }
	}
	store, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()

	switch args[0] {
	case "create":
		if org != "" {
			if _, err := store.GetOrganization(ctx, org); err != nil {
				return fmt.Errorf("--org %q: %w", org, err)
			}
		}
		secret, err := auth.NewSecret()
		if err != nil {
			return err
		}
		if err := store.CreateToken(ctx, &registry.Token{Hash: auth.HashToken(secret), Role: role, OrgID: org, Name: name}); err != nil {
			return err
		}
		fmt.Fprintln(out, secret)
	case "list":
		list, err := store.ListTokens(ctx, org)
		if err != nil {
			return err
		}
		for _, t := range list {
			fmt.Fprintf(out, "%s\t%s\t%s\t%s\t%s\n", t.ID, t.Role, orAll(t.OrgID), oneLine(t.Name), t.CreatedAt.Format("2006-01-02 15:04"))
		}
	case "revoke":
		if err := store.DeleteToken(ctx, tokenID); err != nil {
			if errors.Is(err, registry.ErrNotFound) {
				return fmt.Errorf("--id: no token %s", tokenID)
			}
			return err
		}
		fmt.Fprintf(out, "token %s revoked\n", tokenID)
	}
	return nil
}

// oneLine keeps a free-text name from breaking the tab-separated lines of a list.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}
