from fakturera.public.ratelimit import parse_limit


def test_limits_read_as_count_per_seconds():
    assert parse_limit("10/600") == (10, 600)
    assert parse_limit("5") == (5, 60)
    assert parse_limit("0") == (0, 0)
    assert parse_limit("") == (0, 0)
