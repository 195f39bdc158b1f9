//! dhcpd.conf: lexer, parser, AST and semantic checks for the ISC dhcpd 4.4 grammar.
