DROP INDEX IF EXISTS login_failures_window_start_idx;

--bun:split

DROP INDEX IF EXISTS refresh_tokens_user_id_idx;
