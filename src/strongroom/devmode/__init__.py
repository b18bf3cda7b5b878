"""Developer mode and test-pipeline support: test/test credentials, seed files, reset, readiness.

`strongroom serve --dev` is meant to replace LocalStack or moto's server in a test pipeline: it admits
the conventional `test`/`test` credentials (still SigV4-verified), keeps data in a throwaway directory,
and with `--enable-reset` answers POST /_strongroom/reset. None of it is ever on by default.
"""
