// Package refusal is how the services (signing, lifecycle) say that they did not do what was
// asked, in words a person reads and with what the caller needs to answer: the kind of
// refusal, the order's state or render status that caused it, the field to fix. The API
// turns a refusal into a problem+json answer; the services never know about HTTP.
package refusal

import (
	"github.com/google/uuid"

	"orders/internal/registry"
)

// Kind is why a request was refused.
type Kind int

const (
	// Conflict: the order, or the organization, is not in a state that allows it now.
	Conflict Kind = iota + 1
	// Invalid: what was sent cannot be taken; Field names what to fix.
	Invalid
	// Failed: the service could not do it (a part failed); the request may be repeated.
	Failed
)

// Error is a refusal. Msg is Russian and complete; Err, if any, is the cause for the log.
type Error struct {
	Kind   Kind
	State  registry.State  // the order's state, when it caused the refusal
	Status registry.Status // the order's render status, when it caused the refusal
	Field  string          // the request field an Invalid refusal is about
	Msg    string
	Err    error
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

// Conflictf refuses because of the state of things, not of the request.
func Conflictf(msg string) *Error { return &Error{Kind: Conflict, Msg: msg} }

// InState refuses because of the order's lifecycle state.
func InState(st registry.State, msg string) *Error {
	return &Error{Kind: Conflict, State: st, Msg: msg}
}

// InStatus refuses because of the order's render status.
func InStatus(st registry.Status, msg string) *Error {
	return &Error{Kind: Conflict, Status: st, Msg: msg}
}

// InvalidField refuses a field of the request.
func InvalidField(field, msg string) *Error { return &Error{Kind: Invalid, Field: field, Msg: msg} }

// Fail says a part of the service failed; err goes to the log, msg to the person.
func Fail(msg string, err error) *Error { return &Error{Kind: Failed, Msg: msg, Err: err} }

// DocumentError: a stored document of an order could not be read intact (blob.ErrCorrupt
// when its bytes do not match the recorded SHA-256). It is never served.
type DocumentError struct {
	Order uuid.UUID
	Err   error
}

func (e *DocumentError) Error() string {
	return "document of order " + e.Order.String() + ": " + e.Err.Error()
}
func (e *DocumentError) Unwrap() error { return e.Err }
