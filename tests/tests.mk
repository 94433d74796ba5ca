check: ;
