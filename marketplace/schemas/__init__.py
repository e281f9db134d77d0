"""marshmallow schemas: input schemas raise on unknown fields; output schemas document responses."""
