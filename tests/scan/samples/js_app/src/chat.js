// A chat screen written against the Twilio Conversations SDK. Twilio's Client.create(token) is deprecated.
import { Client as ConversationsClient } from "@twilio/conversations"; // expect: PKG-CONVERSATIONS
import { fetchToken } from "./token-api.js";

const HINT = "call client.getConversationBySid(sid) to open a conversation"; // a string, not a finding

export class ChatScreen {
  constructor(listEl) {
    this.listEl = listEl;
    this.client = null;
  }

  async start(identity, conversationSid) {
    const token = await fetchToken(identity);
    this.client = new ConversationsClient(token); // expect: CHAT-C1
    this.client.on("tokenAboutToExpire", async () => { // expect: CHAT-C5
      this.client.updateToken(await fetchToken(identity)); // expect: CHAT-C5
    });
    const conversation = await this.client.getConversationBySid(conversationSid); // expect: CHAT-T3
    conversation.on("messageAdded", (message) => this.listEl.append(message.body)); // expect: CHAT-M5, CHAT-M6
    conversation.on("typingStarted", (participant) => console.log(participant.identity)); // expect: CHAT-R2, CHAT-P7
    const page = await conversation.getMessages(30); // expect: CHAT-M4
    for (const message of page.items) {
      this.listEl.append(`${message.author}: ${message.body}`); // expect: CHAT-M7, CHAT-M6
    }
    return HINT;
  }

  async send(conversationSid, text, file) {
    const conversation = await this.client.getConversationBySid(conversationSid); // expect: CHAT-T3
    if (file) {
      await conversation.prepareMessage().setBody(text).addMedia({ media: file }).build().send(); // expect: CHAT-M1, CHAT-F1
    } else {
      await conversation.sendMessage(text, { kind: "note" }); // expect: CHAT-M2
    }
    await conversation.setAllMessagesRead(); // expect: CHAT-R4
    conversation.typing(); // expect: CHAT-R1
  }
}

export class Inbox {
  async open(client, sid) {
    this.render(await client.getConversationBySid(sid)); // client is untyped here: not followed
  }

  async openWith(token, sid) {
    const client = new ConversationsClient(token); // expect: CHAT-C1
    this.render(await client.getConversationBySid(sid)); // expect: CHAT-T3
  }

  render(conversation) {
    conversation.getParticipants().then((people) => people.forEach((p) => console.log(p.identity))); // expect: CHAT-P4, CHAT-P7
  }
}
