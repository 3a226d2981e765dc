"""Harvest: the runner, multi-agency files and archives; sources/ has one harvester per kind, net/ the one guarded fetch."""
