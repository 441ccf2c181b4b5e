// Package archtest holds the test that keeps the import graph pointing downward: commands
// on top, then the HTTP interfaces and the worker, then services, renderers, registry and
// documents, with the leaf packages at the bottom. It has no code of its own.
package archtest
