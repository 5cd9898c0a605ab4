DROP TABLE IF EXISTS items_tags;

--bun:split

DROP TABLE IF EXISTS tags;

--bun:split

DROP TABLE IF EXISTS items;

--bun:split

DROP TABLE IF EXISTS stores;
