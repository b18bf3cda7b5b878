"""Input validation from botocore shapes, reporting failures in AWS's own words.

`strongroom.wire.validate.validate_input` is the entry point; this package holds its parts:
`java_regex` (model patterns), `render` (how values and paths print), `violations` (the
message) and `compiler` (shape -> checker).
"""
