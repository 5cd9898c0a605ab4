package apitest

import "testing"

// CreateStore creates a store through the API and returns its id.
func (c *Client) CreateStore(t testing.TB, name string) string {
	t.Helper()
	var out struct{ CreateStore struct{ ID string } }
	c.MustPost(t, `mutation($name: String!) { createStore(input: {name: $name}) { id } }`,
		map[string]any{"name": name}, &out)
	return out.CreateStore.ID
}

// CreateItem creates an item through the API and returns its id.
func (c *Client) CreateItem(t testing.TB, storeID, name string, price float64) string {
	t.Helper()
	var out struct{ CreateItem struct{ ID string } }
	c.MustPost(t, `mutation($s: ID!, $name: String!, $price: Float!) {
		createItem(input: {storeId: $s, name: $name, price: $price}) { id } }`,
		map[string]any{"s": storeID, "name": name, "price": price}, &out)
	return out.CreateItem.ID
}

// CreateTag creates a tag through the API and returns its id.
func (c *Client) CreateTag(t testing.TB, storeID, name string) string {
	t.Helper()
	var out struct{ CreateTag struct{ ID string } }
	c.MustPost(t, `mutation($s: ID!, $name: String!) { createTag(input: {storeId: $s, name: $name}) { id } }`,
		map[string]any{"s": storeID, "name": name}, &out)
	return out.CreateTag.ID
}

// Link links a tag with an item through the API.
func (c *Client) Link(t testing.TB, itemID, tagID string) {
	t.Helper()
	c.MustPost(t, `mutation($i: ID!, $t: ID!) { linkTag(itemId: $i, tagId: $t) { message } }`,
		map[string]any{"i": itemID, "t": tagID}, nil)
}
