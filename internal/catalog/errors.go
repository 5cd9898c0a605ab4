// Package catalog holds storegraph's domain: stores, items and tags, the rules their values
// follow, and the coded errors every layer speaks.
package catalog

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Code classifies an error for clients; the GraphQL layer turns it into extensions.code.
type Code string

// The codes of the API contract.
const (
	NotFound        Code = "NOT_FOUND"
	BadUserInput    Code = "BAD_USER_INPUT"
	Conflict        Code = "CONFLICT"
	Unauthenticated Code = "UNAUTHENTICATED"
	Forbidden       Code = "FORBIDDEN"
	TooManyRequests Code = "TOO_MANY_REQUESTS"
	Unavailable     Code = "SERVICE_UNAVAILABLE"
	Timeout         Code = "TIMEOUT"
	OverLimit       Code = "COMPLEXITY_LIMIT_EXCEEDED" // a request larger than a query limit allows
	Internal        Code = "INTERNAL_SERVER_ERROR"
)

// ErrUnavailable is what a client learns when the database cannot be reached.
var ErrUnavailable = Errorf(Unavailable, "The database is unavailable; try again shortly.")

// ErrTimeout is what a client learns when its request ran past REQUEST_TIMEOUT.
var ErrTimeout = Errorf(Timeout, "The request took too long and was stopped; ask for less, or try again.")

// The errors for an id that names no row.
var (
	ErrNoStore = Errorf(NotFound, "No store has that id.")
	ErrNoItem  = Errorf(NotFound, "No item has that id.")
	ErrNoTag   = Errorf(NotFound, "No tag has that id.")
)

// InternalMessage is all a client learns of an error that is not a domain error.
const InternalMessage = "Internal error."

// Error is a domain error: a code and a sentence that is safe to show a user.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf returns a domain error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err: its domain code, or Internal for anything else.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// ErrorMessage returns the sentence a user may see for err.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return InternalMessage
}

// TooMany is TOO_MANY_REQUESTS for a limit on what (e.g. "failed logins") that lifts at
// until, saying how many whole seconds from now that is.
func TooMany(what string, until, now time.Time) *Error {
	wait := max(1, int(math.Ceil(until.Sub(now).Seconds())))
	return Errorf(TooManyRequests, "Too many %s: try again in %d seconds.", what, wait)
}
