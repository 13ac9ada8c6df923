"""The stack configuration: its schema, its validation context, the environment defaults and the loader."""
