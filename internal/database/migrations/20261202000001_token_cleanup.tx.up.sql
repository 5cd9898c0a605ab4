-- Expired refresh tokens are deleted per user, and closed login windows by their start.
CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);

--bun:split

CREATE INDEX login_failures_window_start_idx ON login_failures (window_start);
