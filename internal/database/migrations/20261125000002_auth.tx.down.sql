DROP TABLE IF EXISTS login_failures;

--bun:split

DROP SEQUENCE IF EXISTS refresh_token_families;

--bun:split

DROP TABLE IF EXISTS refresh_tokens;

--bun:split

ALTER TABLE stores DROP COLUMN IF EXISTS owner_id;

--bun:split

DROP TABLE IF EXISTS users;
