import { ChatClient, type Conversation } from "./twilio";

export class ChatSession {
  private client: ChatClient | null = null;

  constructor(private readonly fetchToken: () => Promise<string>) {}

  async connect(): Promise<void> {
    this.client = new ChatClient(await this.fetchToken()); // expect: CHAT-C1
    this.client.on("connectionStateChanged", (state) => console.info(state)); // expect: CHAT-C4
  }

  async open(sid: string): Promise<Conversation> {
    return this.client!.getConversationBySid(sid); // expect: CHAT-T3
  }
}

export async function openConversation(token: string, sid: string) {
  const client = new ChatClient(token); // expect: CHAT-C1
  return await client.getConversationBySid(sid); // expect: CHAT-T3
}
