"""Operations notices: planned maintenance and breakdowns of camwatch itself."""
