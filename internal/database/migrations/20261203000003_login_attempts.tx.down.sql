ALTER TABLE login_failures DROP CONSTRAINT IF EXISTS login_failures_key_check;

--bun:split

ALTER TABLE login_failures DROP COLUMN IF EXISTS pending;
