"""Every network byte: the guarded fetch and the destination guard."""
