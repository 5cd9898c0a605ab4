var m=Object.create;var i=Object.defineProperty;var o=Object.getOwnPropertyDescriptor;var r=Object.getOwnPropertyNames;var g=Object.getPrototypeOf,d=Object.prototype.hasOwnProperty;var I=(n=>typeof require<"u"?require:typeof Proxy<"u"?new Proxy(n,{get:(e,t)=>(typeof require<"u"?require:e)[t]}):n)(function(n){if(typeof require<"u")return require.apply(this,arguments);throw Error('Dynamic require of "'+n+'" is not supported')});var h=(n,e,t)=>()=>{if(t)throw t[0];try{return n&&(e=n(n=0)),e}catch(a){throw t=[a],a}};var y=(n,e)=>()=>{try{return e||n((e={exports:{}}).exports,e),e.exports}catch(t){throw e=0,t}},f=(n,e)=>{for(var t in e)i(n,t,{get:e[t],enumerable:!0})},u=(n,e,t,a)=>{if(e&&typeof e=="object"||typeof e=="function")for(let s of r(e))!d.call(n,s)&&s!==t&&i(n,s,{get:()=>e[s],enumerable:!(a=o(e,s))||a.enumerable});return n};var A=(n,e,t)=>(t=n!=null?m(g(n)):{},u(e||!n||!n.__esModule?i(t,"default",{value:n,enumerable:!0}):t,n));var p,c=h(()=>{p=[`# Items with their tags
query ItemsWithTheirTags {
  items(first: 5) {
    nodes {
      name
      price
      tags(orderBy: NAME) {
        name
      }
    }
  }
}
`,`# A tag with its items, and their other tags
query ATagWithItsItems {
  tags(first: 1, filter: {nameContains: "fiction"}) {
    nodes {
      name
      itemCount
      items(orderBy: PRICE) {
        name
        price
        tags {
          name
        }
      }
    }
  }
}
`,`# A store with everything
query AStoreWithEverything {
  stores(first: 1) {
    nodes {
      name
      itemCount
      tagCount
      items {
        name
        price
        tags {
          name
        }
      }
      tags {
        name
        items {
          name
        }
      }
    }
  }
}
`,`# Items tagged 1 and 2 but not 3, with how many of them each tag labels (over all pages)
query ItemsTagged1And2ButNot3 {
  items(first: 20, filter: {tags: {all: ["1", "2"], none: ["3"]}}) {
    totalCount
    nodes {
      name
      tags(orderBy: NAME) {
        name
      }
    }
    tagFacets(first: 5) {
      count
      tag {
        id
        name
      }
    }
  }
}
`,`# Replace an item's tags at once (needs the owner's token, see below)
mutation ReplaceAnItemsTagsAtOnce {
  setItemTags(itemId: "1", tagIds: ["1", "2"]) {
    message
    item {
      id
      tags {
        id
      }
      tagCount
    }
    added {
      id
      itemCount
    }
    removed {
      id
      itemCount
    }
  }
}
`]});export{I as a,h as b,y as c,f as d,A as e,c as f,p as g};
