DROP TABLE IF EXISTS request_counts;
