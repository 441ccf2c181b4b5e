package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"

	"orders/internal/auth"
	"orders/internal/registry"
)

const userUsage = `usage:
  ordersd user add --login L --role R [--org O] [--name N]   password from stdin or a prompt
  ordersd user passwd --login L                              new password from stdin or a prompt
  ordersd user disable --login L | enable --login L
  ordersd user list [--org O]`

// userCmd manages the people who log in to the web pages. Passwords are read from standard
// input (one line) or, at a terminal, from a prompt that does not echo; never from a flag,
// which would leave them in the shell history and the process list.
func userCmd(args []string, in io.Reader, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(userUsage)
	}
	var cfg config
	var login, role, org, name string
	fs := flag.NewFlagSet("ordersd user "+args[0], flag.ContinueOnError)
	registryFlags(fs, &cfg)
	fs.StringVar(&login, "login", "", "the login name")
	fs.StringVar(&org, "org", "", "organization id (empty for admin; for list: only this organization)")
	switch args[0] {
	case "add":
		fs.StringVar(&role, "role", "", "clerk, head, archivist or admin")
		fs.StringVar(&name, "name", "", "the person's name as the pages show it («Иванова И.И.»)")
	case "passwd", "disable", "enable", "list":
	default:
		return errors.New(userUsage)
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	login = strings.TrimSpace(login)
	if args[0] != "list" && login == "" {
		return errors.New("--login is required")
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	ctx := context.Background()
	if args[0] == "add" {
		// Check the flags before opening anything or asking for a password.
		if !slices.Contains(auth.Roles, role) {
			return fmt.Errorf("--role: %q is not one of %s", role, strings.Join(auth.Roles, ", "))
		}
		if role != auth.RoleAdmin && org == "" {
			return errors.New("--org is required for a non-admin user")
		}
		if role == auth.RoleAdmin {
			org = ""
		}
	}
	open := openExistingRegistry
	if args[0] == "add" {
		open = func(ctx context.Context, cfg config) (registry.Store, error) { return openRegistry(ctx, cfg) }
	}
	store, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()

	switch args[0] {
	case "add":
		if org != "" {
			if _, err := store.GetOrganization(ctx, org); err != nil {
				return fmt.Errorf("--org %q: %w", org, err)
			}
		}
		if _, err := store.UserByLogin(ctx, login); err == nil {
			return fmt.Errorf("login %q is taken", login)
		}
		hash, err := readPassword(in, out)
		if err != nil {
			return err
		}
		u := &registry.User{Login: login, PasswordHash: hash, Role: role, OrgID: org, Name: strings.TrimSpace(name)}
		if err := store.CreateUser(ctx, u); err != nil {
			if errors.Is(err, registry.ErrConflict) {
				return fmt.Errorf("login %q is taken", login)
			}
			return err
		}
		fmt.Fprintf(out, "user %s created: role %s, organization %s\n", u.Login, u.Role, orAll(u.OrgID))
	case "passwd":
		u, err := store.UserByLogin(ctx, login)
		if err != nil {
			return fmt.Errorf("login %q: %w", login, err)
		}
		hash, err := readPassword(in, out)
		if err != nil {
			return err
		}
		if err := store.UpdateUserPassword(ctx, u.ID, hash); err != nil {
			return err
		}
		// A new password ends the sessions opened with the old one.
		n, err := store.DeleteUserSessions(ctx, u.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "password of %s changed; %d session(s) ended\n", u.Login, n)
	case "disable", "enable":
		u, err := store.UserByLogin(ctx, login)
		if err != nil {
			return fmt.Errorf("login %q: %w", login, err)
		}
		if err := store.SetUserDisabled(ctx, u.ID, args[0] == "disable"); err != nil {
			return err
		}
		fmt.Fprintf(out, "user %s %sd\n", u.Login, args[0])
	case "list":
		list, err := store.ListUsers(ctx, org)
		if err != nil {
			return err
		}
		for _, u := range list {
			state := ""
			if u.Disabled {
				state = " (disabled)"
			}
			fmt.Fprintf(out, "%s\t%s\t%s\t%s%s\n", u.Login, u.Role, orAll(u.OrgID), oneLine(u.Name), state)
		}
	}
	return nil
}

func orAll(org string) string {
	if org == "" {
		return "(all)"
	}
	return org
}

// readPassword reads the password: at a terminal twice with echo off, otherwise the first
// line of input (so `echo … | ordersd user add` and scripts work).
func readPassword(in io.Reader, out io.Writer) (string, error) {
	var pw string
	if f, ok := in.(*os.File); ok && isTerminal(f) {
		first, err := promptSecret(f, out, "Пароль: ")
		if err != nil {
			return "", err
		}
		again, err := promptSecret(f, out, "Повторите пароль: ")
		if err != nil {
			return "", err
		}
		if first != again {
			return "", errors.New("the passwords differ")
		}
		pw = first
	} else {
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			return "", errors.New("no password on standard input")
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	return auth.HashPassword(pw)
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// promptSecret turns the terminal's echo off with stty for one line: no terminal library
// is needed for this one prompt.
func promptSecret(f *os.File, out io.Writer, prompt string) (string, error) {
	fmt.Fprint(out, prompt)
	stty := func(arg string) error {
		cmd := exec.Command("stty", arg)
		cmd.Stdin = f
		return cmd.Run()
	}
	if err := stty("-echo"); err == nil {
		defer func() { _ = stty("echo"); fmt.Fprintln(out) }()
	}
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && line == "" {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}
