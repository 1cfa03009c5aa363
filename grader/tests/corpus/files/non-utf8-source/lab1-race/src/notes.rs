//! Notes on the race, saved in Latin-1: the café down the road has the same race at its till.
