// Package tracing exports OpenTelemetry traces over OTLP when the standard OTEL_*
// variables ask for it, and traces GraphQL operations. The HTTP server (otelhttp), the SQL
// statements (bunotel) and the loader batches have spans of their own, made where they run.
package tracing

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Start returns a tracer provider that exports in batches over OTLP/HTTP, configured by the
// OTEL_* variables the SDK reads (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS,
// OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER, OTEL_BSP_*...). Its
// Shutdown sends what is left.
func Start(ctx context.Context) (*sdktrace.TracerProvider, error) {
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	// The service is storegraph unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES say
	// otherwise: later sources win.
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", "storegraph")),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(),
	)
	if err != nil {
		return nil, fmt.Errorf("trace resource: %w", err)
	}
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res)), nil
}

// Propagator reads and writes W3C trace context and baggage headers, so a request joins its
// caller's trace.
func Propagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}

// GraphQL is a gqlgen extension that gives each operation a span named after its type and
// name, with those as attributes (OpenTelemetry's GraphQL conventions) and the error codes
// of its response. Never the variables nor the document: either may hold secrets.
type GraphQL struct {
	Tracer trace.Tracer
}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = GraphQL{}

// ExtensionName implements graphql.HandlerExtension.
func (GraphQL) ExtensionName() string { return "Tracing" }

// Validate implements graphql.HandlerExtension.
func (GraphQL) Validate(graphql.ExecutableSchema) error { return nil }

// MaxErrorCodes bounds the error codes an operation's span keeps: a response may hold an
// error per list entry, and a span waits in memory until it is exported. Its status still
// counts every error.
const MaxErrorCodes = 100

// InterceptResponse implements graphql.ResponseInterceptor: the span covers the
// execution of the operation, resolvers, loaders and SQL included.
func (g GraphQL) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	op := graphql.GetOperationContext(ctx).Operation
	if op == nil {
		return next(ctx)
	}
	typ := string(op.Operation)
	name := typ
	if op.Name != "" {
		name += " " + op.Name
	}
	ctx, span := g.Tracer.Start(ctx, name, trace.WithAttributes(
		attribute.String("graphql.operation.type", typ),
		attribute.String("graphql.operation.name", op.Name),
	))
	defer span.End()
	resp := next(ctx)
	if resp != nil && len(resp.Errors) > 0 {
		var errCodes []string
		for _, e := range resp.Errors {
			if c, ok := e.Extensions["code"].(string); ok && len(errCodes) < MaxErrorCodes {
				errCodes = append(errCodes, c)
			}
		}
		span.SetAttributes(attribute.StringSlice("graphql.error_codes", errCodes))
		span.SetStatus(codes.Error, fmt.Sprintf("%d errors", len(resp.Errors)))
	}
	return resp
}
